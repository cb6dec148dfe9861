/**
 * Stored spans and log records back into the interpretation layer's input: the attributes as the
 * client sent them (the derived facts that syncscope.derived names are removed), so the workbench
 * can preview a rule change on recent telemetry and the re-interpret job can derive facts anew.
 */
import { db, sql, type Db } from '../db';
import { ATTR_PREFIX, DERIVED_ATTR, emptyItem, type Item } from './facts';

/** The attributes without what the layer added (the facts named in syncscope.derived, and itself). */
export function originalAttributes(attrs: Record<string, string>): Record<string, string> {
	const derived = attrs[DERIVED_ATTR];
	if (derived === undefined) return attrs;
	const out = { ...attrs };
	delete out[DERIVED_ATTR];
	for (const part of derived.split(',')) {
		const eq = part.indexOf('=');
		if (eq > 0) delete out[ATTR_PREFIX + part.slice(0, eq)];
	}
	return out;
}

export interface StoredSpan {
	TraceId: string;
	SpanId: string;
	ParentSpanId: string;
	SpanName: string;
	SpanKind: string;
	StatusCode: string;
	StatusMessage: string;
	ServiceName: string;
	ScopeName: string;
	SpanAttributes: Record<string, string>;
	ResourceAttributes: Record<string, string>;
	EventNames: string[];
	EventAttributes: Record<string, string>[];
	LinkTraceIds: string[];
	LinkSpanIds: string[];
}

export interface StoredLog {
	TraceId: string;
	SpanId: string;
	ServiceName: string;
	ScopeName: string;
	Body: string;
	EventName: string;
	LogAttributes: Record<string, string>;
	ResourceAttributes: Record<string, string>;
}

/** The columns a StoredSpan needs, for SELECTs over otel_traces. */
export const SPAN_COLUMNS = sql`TraceId, SpanId, ParentSpanId, SpanName, SpanKind, StatusCode, StatusMessage, ServiceName, ScopeName,
	SpanAttributes, ResourceAttributes, Events.Name AS EventNames, Events.Attributes AS EventAttributes,
	Links.TraceId AS LinkTraceIds, Links.SpanId AS LinkSpanIds`;

/** The columns a StoredLog needs, for SELECTs over otel_logs. */
export const LOG_COLUMNS = sql`TraceId, SpanId, ServiceName, ScopeName, Body, EventName, LogAttributes, ResourceAttributes`;

const STATUS: Record<string, string> = { STATUS_CODE_ERROR: 'Error', STATUS_CODE_OK: 'Ok', STATUS_CODE_UNSET: 'Unset' };

export function itemFromSpan(r: StoredSpan): Item {
	return emptyItem({
		signal: 'span',
		traceId: r.TraceId,
		spanId: r.SpanId,
		parentSpanId: r.ParentSpanId,
		name: r.SpanName,
		kind: r.SpanKind,
		status: STATUS[r.StatusCode] ?? r.StatusCode,
		statusMessage: r.StatusMessage,
		service: r.ServiceName,
		scope: r.ScopeName,
		attrs: originalAttributes(r.SpanAttributes),
		resource: r.ResourceAttributes,
		events: r.EventNames.map((name, i) => ({ name, attrs: r.EventAttributes[i] ?? {} })),
		links: r.LinkTraceIds.map((traceId, i) => ({ traceId, spanId: r.LinkSpanIds[i] ?? '' }))
	});
}

export function itemFromLog(r: StoredLog): Item {
	return emptyItem({
		signal: 'log',
		traceId: r.TraceId,
		spanId: r.SpanId,
		service: r.ServiceName,
		scope: r.ScopeName,
		attrs: originalAttributes(r.LogAttributes),
		resource: r.ResourceAttributes,
		body: r.Body,
		eventName: r.EventName || (r.LogAttributes['event.name'] ?? '')
	});
}

/** The most recent spans (whole traces, newest first), optionally of one service: the workbench's sample. */
export async function recentSpans(opts: { service?: string; traces?: number; sinceHours?: number } = {}, d: Db = db()): Promise<StoredSpan[]> {
	const traces = Math.min(Math.max(opts.traces ?? 50, 1), 500);
	const since = Math.min(Math.max(opts.sinceHours ?? 24, 1), 24 * 30);
	const service = opts.service ?? '';
	return d.query<StoredSpan>(sql`
		SELECT ${SPAN_COLUMNS} FROM otel_traces
		WHERE Timestamp >= now() - toIntervalHour(${{ UInt32: since }})
		  AND TraceId IN (
			SELECT TraceId FROM otel_traces
			WHERE Timestamp >= now() - toIntervalHour(${{ UInt32: since }}) AND (${{ String: service }} = '' OR ServiceName = ${{ String: service }})
			GROUP BY TraceId ORDER BY max(Timestamp) DESC LIMIT ${{ UInt32: traces }})
		ORDER BY TraceId, Timestamp
		LIMIT 1 BY TraceId, SpanId`);
}
