/**
 * Lineage queries, in short rounds:
 * 1. the business-key index (business_key_index, ordered by KeyValue): the traces that carry the key,
 *    what it was recognised as and when it was seen;
 * 2. side by side on the chDB pool: those traces' spans (plus the trace itself for a 32-hex key)
 *    from lineage_spans (migration 151: every span's light columns and integration.* values,
 *    ordered by TraceId), and the log events of those traces or carrying the key within the window
 *    where the key was seen;
 * 3. for the page only, span attributes, resources, events and links from otel_traces, and the log
 *    search again if the spans widened its window or its traces (then side by side). The API path
 *    (detail: false) never reads otel_traces, and in the usual case is two rounds.
 * Measured at 10M spans (bench/lineage.ts, figures in docs/console.md): API path p50/p95 19/27 ms
 * against 62/96 ms for filtering otel_traces' SpanAttributes (3.6×); rounds 1 and 2 one after the other
 * beat the two side by side with 2 as `TraceId IN (SELECT … FROM business_key_index …)`, which reads the
 * index twice for the same wall time on 2 cores and loses under load.
 * Re-sent spans are counted once (LIMIT 1 BY TraceId, SpanId), as docs/contracts.md requires.
 */
import { db, sql } from '../db';
import { TRACE_ID, type Lineage, type LineageLog, type LineageSpan } from './schema';

/** at most this many spans/logs are returned for one key (a runaway correlation ID) */
export const MAX_SPANS = 5000;
export const MAX_LOGS = 2000;
const SLACK_MS = 1000;

interface KeyHit {
	traceId: string;
	/** key names the value was found under (correlation_id, sales_order, …) */
	names: string[];
	/** first/last time the key was seen in this trace (ms) */
	first: number;
	last: number;
}

/** Traces (or '' for logs without one) that carry the key, with the key names and times per trace. */
export async function keyHits(key: string): Promise<KeyHit[]> {
	return db().query<KeyHit>(sql`
		SELECT TraceId AS traceId, groupUniqArray(KeyName) AS names,
		       toUnixTimestamp64Milli(min(Timestamp)) AS first, toUnixTimestamp64Milli(max(Timestamp)) AS last
		FROM business_key_index WHERE KeyValue = ${{ String: key }} GROUP BY TraceId`);
}

type SpanRow = Omit<LineageSpan, 'start' | 'attributes' | 'resource' | 'events' | 'links'> & { startMs: number };

/**
 * Every span of the given traces, each (TraceId, SpanId) once, unsorted: a few granules of
 * lineage_spans per trace. Only filtering happens in SQL: sorting a few hundred rows here is
 * cheaper than an ORDER BY there.
 */
export async function spansOf(traceIds: string[]): Promise<SpanRow[]> {
	if (!traceIds.length) return [];
	return db().query<SpanRow>(sql`
		SELECT TraceId AS traceId, SpanId AS spanId, ParentSpanId AS parentSpanId, ServiceName AS service, SpanName AS name,
		       SpanKind AS kind, toUnixTimestamp64Milli(Timestamp) AS startMs, Duration / 1e6 AS durationMs,
		       StatusCode AS status, StatusMessage AS statusMessage, Flow AS flow, Step AS step, Source AS source,
		       Target AS target, Outcome AS outcome
		FROM lineage_spans
		WHERE TraceId IN ${{ 'Array(String)': traceIds }}
		LIMIT 1 BY TraceId, SpanId
		LIMIT ${{ UInt32: MAX_SPANS }}`);
}

interface SpanDetail {
	traceId: string;
	spanId: string;
	attributes: Record<string, string>;
	resource: Record<string, string>;
	eventTimes: string[];
	eventNames: string[];
	eventAttributes: Record<string, string>[];
	linkTraceIds: string[];
	linkSpanIds: string[];
}

/**
 * Attributes, resource, events and links of the given spans, from otel_traces: the TraceId bloom
 * filter within the spans' time range finds their granules. (Naming each span by otel_traces'
 * primary key, (ServiceName, SpanName, toDateTime(Timestamp)) IN …, reads the same granules but
 * measured slower: the tuple test runs on every row read.)
 */
export async function spanDetails(spans: SpanRow[]): Promise<Map<string, SpanDetail>> {
	if (!spans.length) return new Map();
	const starts = spans.map((s) => s.startMs);
	const rows = await db().query<SpanDetail>(sql`
		SELECT TraceId AS traceId, SpanId AS spanId, SpanAttributes AS attributes, ResourceAttributes AS resource,
		       Events.Timestamp AS eventTimes, Events.Name AS eventNames, Events.Attributes AS eventAttributes,
		       Links.TraceId AS linkTraceIds, Links.SpanId AS linkSpanIds
		FROM otel_traces
		WHERE TraceId IN ${{ 'Array(String)': [...new Set(spans.map((s) => s.traceId))] }}
		  AND Timestamp >= fromUnixTimestamp64Milli(${{ Int64: Math.min(...starts) }})
		  AND Timestamp < fromUnixTimestamp64Milli(${{ Int64: Math.max(...starts) + 1 }})
		LIMIT 1 BY TraceId, SpanId`);
	return new Map(rows.map((r) => [`${r.traceId}:${r.spanId}`, r]));
}

/** ClickHouse DateTime64 text (UTC) → ISO 8601 with milliseconds */
function isoFromCh(t: string): string {
	return `${t.slice(0, 10)}T${t.slice(11, 23).padEnd(12, '.000').slice(0, 12)}Z`;
}

export function isError(status: string): boolean {
	return /error/i.test(status);
}

function toSpan(r: SpanRow, d: SpanDetail | undefined): LineageSpan {
	const { startMs, ...rest } = r;
	return {
		...rest,
		start: new Date(startMs).toISOString(),
		// ERROR status with exception events is a failure even without integration.outcome (brief)
		outcome: r.outcome || (isError(r.status) ? 'failed' : 'success'),
		// without detail (the API shape) these stay empty: nothing else was read
		attributes: d?.attributes ?? {},
		resource: d?.resource ?? {},
		events: d ? d.eventNames.map((name, i) => ({ time: isoFromCh(d.eventTimes[i]), name, attributes: d.eventAttributes[i] })) : [],
		links: d ? d.linkTraceIds.map((traceId, i) => ({ traceId, spanId: d.linkSpanIds[i] })) : []
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

/** The log search window around span starts and key sightings (ms): the old trace-bounds slack. */
function logWindow(times: number[]): [number, number] {
	return [Math.min(...times) - SLACK_MS, Math.max(...times) + SLACK_MS];
}

/**
 * Everything that happened to one key, across traces, sorted by time. `detail: false` (the API
 * path) leaves out span attributes, resources, events and links (the API shape has none of them)
 * and so never reads otel_traces.
 */
export async function findLineage(input: string, opts: { detail?: boolean } = {}): Promise<Lineage> {
	const key = input.trim();
	const traceKey = TRACE_ID.test(key) ? key.toLowerCase() : '';
	const hits = await keyHits(key);
	const keyTraces = [...new Set(hits.map((h) => h.traceId).filter(Boolean))];
	// the log search starts beside the spans, over the window where the key was seen (a log without a
	// trace counts there too); it is redone only if a span started outside it or a trace ID added a trace
	const keyTimes = hits.flatMap((h) => [h.first, h.last]);
	const [rows, keyLogs] = await Promise.all([
		spansOf(traceKey ? [...keyTraces, traceKey] : keyTraces),
		keyTimes.length ? logsOf(keyTraces, key, ...logWindow(keyTimes)) : undefined
	]);
	const matchedAs = [...new Set(hits.flatMap((h) => h.names))];
	if (traceKey && rows.some((r) => r.traceId === traceKey)) matchedAs.push('trace_id');
	// a trace that carries the key counts even without spans; a span-less trace ID does not
	const traceIds = [...new Set([...keyTraces, ...rows.map((r) => r.traceId)])];
	const times = [...keyTimes, ...rows.map((r) => r.startMs)];
	if (!times.length) return { key, matchedAs: [], traces: [], spans: [], logs: [] };
	const window = logWindow(times);
	const sameSearch = traceIds.length === keyTraces.length && window.join() === logWindow(keyTimes).join();

	const [details, logs] = await Promise.all([
		(opts.detail ?? true) ? spanDetails(rows) : undefined,
		keyLogs && sameSearch ? keyLogs : logsOf(traceIds, key, ...window)
	]);
	const spans = rows
		.sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId))
		.map((r) => toSpan(r, details?.get(`${r.traceId}:${r.spanId}`)));
	const firstSeen = new Map<string, number>();
	for (const s of rows) if (!firstSeen.has(s.traceId)) firstSeen.set(s.traceId, s.startMs);
	const traces = [...new Set([...spans.map((s) => s.traceId), ...traceIds])].sort(
		(a, b) => (firstSeen.get(a) ?? Infinity) - (firstSeen.get(b) ?? Infinity)
	);
	return { key, matchedAs, traces, spans, logs };
}
