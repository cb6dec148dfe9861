/**
 * Lineage queries. A key is resolved through the business-key index (ordered by KeyValue, so a
 * lookup reads a few granules per day) or, for a 32-hex trace ID, the exporter's trace-id lookup
 * table; spans and logs are then read from otel_traces / otel_logs bounded by those traces' time
 * range, so day partitions outside it are never opened. Re-sent spans are counted once
 * (LIMIT 1 BY TraceId, SpanId), as docs/contracts.md requires.
 */
import { db, sql } from '../db';
import { TRACE_ID, type Lineage, type LineageLog, type LineageSpan } from './schema';

/** at most this many spans/logs are returned for one key (a runaway correlation ID) */
export const MAX_SPANS = 5000;
export const MAX_LOGS = 2000;
const SLACK_MS = 1000;

interface KeyHit {
	traceId: string;
	names: string[];
	first: number;
	last: number;
}

/** Traces (and time ranges) that carry a business key, correlation ID or message ID. */
export async function tracesForKey(key: string): Promise<KeyHit[]> {
	return db().query<KeyHit>(sql`
		SELECT TraceId AS traceId, groupUniqArray(KeyName) AS names,
		       toUnixTimestamp64Milli(min(Timestamp)) AS first, toUnixTimestamp64Milli(max(Timestamp)) AS last
		FROM business_keys WHERE KeyValue = ${{ String: key }}
		GROUP BY TraceId ORDER BY first`);
}

/** First and last second of each trace, from the trace-id lookup table. */
export async function traceBounds(traceIds: string[]): Promise<{ traceId: string; start: number; end: number }[]> {
	if (!traceIds.length) return [];
	return db().query(sql`
		SELECT TraceId AS traceId, toUnixTimestamp(min(Start)) * 1000 AS start, toUnixTimestamp(max(End)) * 1000 AS end
		FROM otel_traces_trace_id_ts WHERE TraceId IN ${{ 'Array(String)': traceIds }} GROUP BY TraceId`);
}

type SpanRow = Omit<LineageSpan, 'start' | 'events' | 'links' | 'flow' | 'step' | 'source' | 'target' | 'outcome'> & {
	startMs: number;
	events: [number, string, Record<string, string>][];
	links: [string, string][];
};

/** Every span of the given traces within [lo, hi], each (TraceId, SpanId) once. */
export async function spansOf(traceIds: string[], lo: number, hi: number): Promise<LineageSpan[]> {
	if (!traceIds.length) return [];
	const rows = await db().query<SpanRow>(sql`
		SELECT TraceId AS traceId, SpanId AS spanId, ParentSpanId AS parentSpanId, ServiceName AS service,
		       SpanName AS name, SpanKind AS kind, toUnixTimestamp64Milli(Timestamp) AS startMs,
		       Duration / 1e6 AS durationMs, StatusCode AS status, StatusMessage AS statusMessage,
		       SpanAttributes AS attributes, ResourceAttributes AS resource,
		       arrayMap((t, n, a) -> (toUnixTimestamp64Milli(t), n, a), Events.Timestamp, Events.Name, Events.Attributes) AS events,
		       arrayMap((t, s) -> (t, s), Links.TraceId, Links.SpanId) AS links
		FROM otel_traces
		WHERE TraceId IN ${{ 'Array(String)': traceIds }}
		  AND Timestamp >= fromUnixTimestamp64Milli(${{ Int64: lo }}) AND Timestamp <= fromUnixTimestamp64Milli(${{ Int64: hi }})
		ORDER BY Timestamp, SpanId
		LIMIT 1 BY TraceId, SpanId
		LIMIT ${{ UInt32: MAX_SPANS }}`);
	return rows.map(toSpan);
}

export function isError(status: string): boolean {
	return /error/i.test(status);
}

function toSpan(r: SpanRow): LineageSpan {
	const a = r.attributes;
	const { startMs, ...rest } = r;
	return {
		...rest,
		start: new Date(startMs).toISOString(),
		flow: a['integration.flow'] ?? '',
		step: a['integration.step'] ?? '',
		source: a['integration.source'] ?? '',
		target: a['integration.target'] ?? '',
		// ERROR status with exception events is a failure even without integration.outcome (brief)
		outcome: a['integration.outcome'] || (isError(r.status) ? 'failed' : 'success'),
		events: r.events.map(([t, name, attributes]) => ({ time: new Date(t).toISOString(), name, attributes })),
		links: r.links.map(([traceId, spanId]) => ({ traceId, spanId }))
	};
}

type LogRow = Omit<LineageLog, 'time' | 'flow' | 'step'> & { timeMs: number };

/** Log events (dead letters, acks, …) of the traces, or carrying the key themselves, in [lo, hi]. */
export async function logsOf(traceIds: string[], key: string, lo: number, hi: number): Promise<LineageLog[]> {
	const rows = await db().query<LogRow>(sql`
		SELECT toUnixTimestamp64Milli(Timestamp) AS timeMs, TraceId AS traceId, SpanId AS spanId, ServiceName AS service,
		       if(EventName != '', EventName, LogAttributes['event.name']) AS eventName, SeverityText AS severity,
		       Body AS body, LogAttributes AS attributes
		FROM otel_logs
		WHERE TimestampTime >= toDateTime(intDiv(${{ Int64: lo }}, 1000)) AND TimestampTime <= toDateTime(intDiv(${{ Int64: hi }}, 1000) + 1)
		  AND (TraceId IN ${{ 'Array(String)': traceIds }} OR has(mapValues(LogAttributes), ${{ String: key }}))
		ORDER BY Timestamp
		LIMIT 1 BY Timestamp, TraceId, SpanId, cityHash64(Body)
		LIMIT ${{ UInt32: MAX_LOGS }}`);
	return rows.map(({ timeMs, ...r }) => ({
		...r,
		time: new Date(timeMs).toISOString(),
		flow: r.attributes['integration.flow'] ?? '',
		step: r.attributes['integration.step'] ?? ''
	}));
}

/** Everything that happened to one key, across traces, sorted by time. */
export async function findLineage(input: string): Promise<Lineage> {
	const key = input.trim();
	const hits = await tracesForKey(key);
	const matchedAs = [...new Set(hits.flatMap((h) => h.names))];
	let traceIds = hits.map((h) => h.traceId).filter(Boolean);
	if (TRACE_ID.test(key)) {
		traceIds = [...new Set([key.toLowerCase(), ...traceIds])];
		matchedAs.push('trace_id');
	}
	const bounds = await traceBounds(traceIds);
	const known = new Set(bounds.map((b) => b.traceId));
	traceIds = traceIds.filter((t) => known.has(t) || hits.some((h) => h.traceId === t));
	const times = [...bounds.flatMap((b) => [b.start, b.end + 999]), ...hits.flatMap((h) => [h.first, h.last])];
	if (!times.length) return { key, matchedAs: [], traces: [], spans: [], logs: [] };
	const lo = Math.min(...times) - SLACK_MS;
	const hi = Math.max(...times) + SLACK_MS;

	const [spans, logs] = await Promise.all([spansOf(traceIds, lo, hi), logsOf(traceIds, key, lo, hi)]);
	const firstSeen = new Map<string, number>();
	for (const s of spans) if (!firstSeen.has(s.traceId)) firstSeen.set(s.traceId, Date.parse(s.start));
	const traces = [...new Set([...spans.map((s) => s.traceId), ...traceIds])].sort(
		(a, b) => (firstSeen.get(a) ?? Infinity) - (firstSeen.get(b) ?? Infinity)
	);
	return { key, matchedAs: matchedAs.filter((m) => m !== 'trace_id' || traces.length > 0), traces, spans, logs };
}
