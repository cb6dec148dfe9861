/**
 * Lineage queries. A key is resolved through the business-key index (ordered by KeyValue, so a
 * lookup reads a few granules per day) or, for a 32-hex trace ID, the exporter's trace-id lookup
 * table; spans and logs are then read from otel_traces / otel_logs bounded by those traces' time
 * range, so day partitions outside it are never opened. Re-sent spans are counted once
 * (LIMIT 1 BY TraceId, SpanId), as docs/contracts.md requires.
 */
import { db, raw, sql } from '../db';
import { TRACE_ID, type Lineage, type LineageLog, type LineageSpan } from './schema';

/** at most this many spans/logs are returned for one key (a runaway correlation ID) */
export const MAX_SPANS = 5000;
export const MAX_LOGS = 2000;
const SLACK_MS = 1000;

interface TraceHit {
	traceId: string;
	/** key names the value was found under (correlation_id, sales_order, …); empty for a trace ID */
	names: string[];
	/** first/last time the key was seen in this trace (ms), 0 when found by trace ID only */
	first: number;
	last: number;
	/** the trace's first/last second from the trace-id lookup table (ms), 0 if unknown */
	start: number;
	end: number;
}

/**
 * Traces that carry a key (business-key index) or are named by it (trace ID), with their time
 * ranges from the trace-id lookup table. Two small queries: measured faster than one JOIN of them.
 */
export async function tracesForKey(key: string): Promise<TraceHit[]> {
	const hits = await db().query<Omit<TraceHit, 'start' | 'end'>>(sql`
		SELECT TraceId AS traceId, groupUniqArray(KeyName) AS names,
		       toUnixTimestamp64Milli(min(Timestamp)) AS first, toUnixTimestamp64Milli(max(Timestamp)) AS last
		FROM business_keys WHERE KeyValue = ${{ String: key }} GROUP BY TraceId`);
	const ids = hits.map((h) => h.traceId).filter(Boolean);
	if (TRACE_ID.test(key)) ids.push(key.toLowerCase());
	const bounds = ids.length
		? await db().query<{ traceId: string; start: number; end: number }>(sql`
			SELECT TraceId AS traceId, toUnixTimestamp(min(Start)) * 1000 AS start, toUnixTimestamp(max(End)) * 1000 AS end
			FROM otel_traces_trace_id_ts WHERE TraceId IN ${{ 'Array(String)': ids }} GROUP BY TraceId`)
		: [];
	const byId = new Map<string, TraceHit>(hits.map((h) => [h.traceId, { ...h, start: 0, end: 0 }]));
	for (const b of bounds) byId.set(b.traceId, { ...(byId.get(b.traceId) ?? { traceId: b.traceId, names: [], first: 0, last: 0 }), start: b.start, end: b.end });
	return [...byId.values()];
}

type SpanRow = Omit<LineageSpan, 'start' | 'events' | 'links' | 'flow' | 'step' | 'source' | 'target' | 'outcome'> & {
	startMs: number;
	eventTimes: string[];
	eventNames: string[];
	eventAttributes: Record<string, string>[];
	linkTraceIds: string[];
	linkSpanIds: string[];
};

/**
 * Every span of the given traces within [lo, hi], each (TraceId, SpanId) once, sorted by time.
 * Only filtering happens in SQL: an ORDER BY or per-row functions there make ClickHouse read the
 * heavy columns (attribute maps, events) of whole granules before filtering; sorting a few
 * hundred rows here is cheaper. Without `detail`, the attribute maps are not read at all: the
 * integration.* values come from lineage_span_attributes (migration 150), about 4× less work
 * per lookup (bench/lineage.ts).
 */
export async function spansOf(traceIds: string[], lo: number, hi: number, detail = true): Promise<LineageSpan[]> {
	if (!traceIds.length) return [];
	const inRange = sql`TraceId IN ${{ 'Array(String)': traceIds }}
		  AND Timestamp >= fromUnixTimestamp64Milli(${{ Int64: lo }}) AND Timestamp <= fromUnixTimestamp64Milli(${{ Int64: hi }})`;
	const heavy = detail
		? raw(`SpanAttributes AS attributes, ResourceAttributes AS resource, Events.Timestamp AS eventTimes, Events.Name AS eventNames,
		       Events.Attributes AS eventAttributes, Links.TraceId AS linkTraceIds, Links.SpanId AS linkSpanIds`)
		: raw(`map() AS attributes, map() AS resource, [] AS eventTimes, [] AS eventNames, [] AS eventAttributes, [] AS linkTraceIds, [] AS linkSpanIds`);
	const [rows, tags] = await Promise.all([
		db().query<SpanRow>(sql`
			SELECT TraceId AS traceId, SpanId AS spanId, ParentSpanId AS parentSpanId, ServiceName AS service,
			       SpanName AS name, SpanKind AS kind, toUnixTimestamp64Milli(Timestamp) AS startMs,
			       Duration / 1e6 AS durationMs, StatusCode AS status, StatusMessage AS statusMessage, ${heavy}
			FROM otel_traces WHERE ${inRange}
			LIMIT 1 BY TraceId, SpanId
			LIMIT ${{ UInt32: MAX_SPANS }}`),
		detail
			? Promise.resolve([])
			: db().query<{ traceId: string; spanId: string; tags: Record<string, string> }>(sql`
			SELECT TraceId AS traceId, SpanId AS spanId,
			       map('integration.flow', Flow, 'integration.step', Step, 'integration.source', Source,
			           'integration.target', Target, 'integration.outcome', Outcome) AS tags
			FROM lineage_span_attributes WHERE ${inRange}
			LIMIT 1 BY TraceId, SpanId`)
	]);
	if (!detail) {
		const byId = new Map(tags.map((t) => [`${t.traceId}:${t.spanId}`, t.tags]));
		for (const r of rows) r.attributes = Object.fromEntries(Object.entries(byId.get(`${r.traceId}:${r.spanId}`) ?? {}).filter(([, v]) => v !== ''));
	}
	return rows.sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId)).map((r) => toSpan(r, detail));
}

/** ClickHouse DateTime64 text (UTC) → ISO 8601 with milliseconds */
function isoFromCh(t: string): string {
	return `${t.slice(0, 10)}T${t.slice(11, 23).padEnd(12, '.000').slice(0, 12)}Z`;
}

export function isError(status: string): boolean {
	return /error/i.test(status);
}

function toSpan(r: SpanRow, detail: boolean): LineageSpan {
	const a = r.attributes;
	const { startMs, eventTimes, eventNames, eventAttributes, linkTraceIds, linkSpanIds, ...rest } = r;
	return {
		...rest,
		// without detail only the integration.* values were read; do not pass them off as all attributes
		attributes: detail ? a : {},
		start: new Date(startMs).toISOString(),
		flow: a['integration.flow'] ?? '',
		step: a['integration.step'] ?? '',
		source: a['integration.source'] ?? '',
		target: a['integration.target'] ?? '',
		// ERROR status with exception events is a failure even without integration.outcome (brief)
		outcome: a['integration.outcome'] || (isError(r.status) ? 'failed' : 'success'),
		events: eventNames.map((name, i) => ({ time: isoFromCh(eventTimes[i]), name, attributes: eventAttributes[i] })),
		links: linkTraceIds.map((traceId, i) => ({ traceId, spanId: linkSpanIds[i] }))
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

/**
 * Everything that happened to one key, across traces, sorted by time. `detail: false` leaves out
 * span resources, events and links (the API shape has none of them).
 */
export async function findLineage(input: string, opts: { detail?: boolean } = {}): Promise<Lineage> {
	const key = input.trim();
	const hits = await tracesForKey(key);
	const matchedAs = [...new Set(hits.flatMap((h) => h.names))];
	if (hits.some((h) => h.traceId === key.toLowerCase() && h.start > 0)) matchedAs.push('trace_id');
	// a log without a trace still counts (its key time bounds the log search); a span-less trace ID does not
	const traceIds = [...new Set(hits.filter((h) => h.traceId && (h.start > 0 || h.names.length)).map((h) => h.traceId))];
	const times = hits.flatMap((h) => [...(h.start ? [h.start, h.end + 999] : []), ...(h.names.length ? [h.first, h.last] : [])]);
	if (!times.length) return { key, matchedAs: [], traces: [], spans: [], logs: [] };
	const lo = Math.min(...times) - SLACK_MS;
	const hi = Math.max(...times) + SLACK_MS;

	const [spans, logs] = await Promise.all([spansOf(traceIds, lo, hi, opts.detail ?? true), logsOf(traceIds, key, lo, hi)]);
	const firstSeen = new Map<string, number>();
	for (const s of spans) if (!firstSeen.has(s.traceId)) firstSeen.set(s.traceId, Date.parse(s.start));
	const traces = [...new Set([...spans.map((s) => s.traceId), ...traceIds])].sort(
		(a, b) => (firstSeen.get(a) ?? Infinity) - (firstSeen.get(b) ?? Infinity)
	);
	return { key, matchedAs, traces, spans, logs };
}
