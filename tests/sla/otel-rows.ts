/**
 * Test-only: turn spans and log records finished by the real OpenTelemetry SDK (in-memory
 * exporters) into otel_traces / otel_logs rows, the way the OpenTelemetry Collector's ClickHouse
 * exporter lays them out. Used until the collector is on main; then the scenario goes through
 * startCollector() instead.
 */
import { SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Db } from '../../src/lib/server/db';

const KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS: Record<number, string> = { [SpanStatusCode.UNSET]: 'Unset', [SpanStatusCode.OK]: 'Ok', [SpanStatusCode.ERROR]: 'Error' };

/** HrTime → DateTime64(9) as decimal text "seconds.nanos" (exact). */
const ts = (t: HrTime) => `${t[0]}.${String(t[1]).padStart(9, '0')}`;
const ns = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const strMap = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));

export function spanRow(s: ReadableSpan): Record<string, unknown> {
	const ctx = s.spanContext();
	return {
		Timestamp: ts(s.startTime),
		TraceId: ctx.traceId,
		SpanId: ctx.spanId,
		ParentSpanId: s.parentSpanContext?.spanId ?? '',
		TraceState: '',
		SpanName: s.name,
		SpanKind: KIND[s.kind + 1] ?? 'Unspecified',
		ServiceName: String(s.resource.attributes['service.name'] ?? ''),
		ResourceAttributes: strMap(s.resource.attributes),
		ScopeName: s.instrumentationScope.name,
		ScopeVersion: s.instrumentationScope.version ?? '',
		SpanAttributes: strMap(s.attributes),
		Duration: (ns(s.endTime) - ns(s.startTime)).toString(),
		StatusCode: STATUS[s.status.code],
		StatusMessage: s.status.message ?? ''
	};
}

export function logRow(l: ReadableLogRecord): Record<string, unknown> {
	return {
		Timestamp: ts(l.hrTime),
		TraceId: l.spanContext?.traceId ?? '',
		SpanId: l.spanContext?.spanId ?? '',
		SeverityText: l.severityText ?? '',
		SeverityNumber: l.severityNumber ?? 0,
		ServiceName: String(l.resource.attributes['service.name'] ?? ''),
		Body: typeof l.body === 'string' ? l.body : JSON.stringify(l.body ?? ''),
		ResourceAttributes: strMap(l.resource.attributes),
		LogAttributes: strMap(l.attributes),
		EventName: l.eventName ?? ''
	};
}

/** Insert as the collector would: one insert per batch (MVs run per insert block). */
export async function writeSpans(db: Db, spans: readonly ReadableSpan[]): Promise<void> {
	await db.insertRows('otel_traces', spans.map(spanRow));
}

export async function writeLogs(db: Db, logs: readonly ReadableLogRecord[]): Promise<void> {
	await db.insertRows('otel_logs', logs.map(logRow));
}
