/**
 * What the re-interpret job (reinterpret.ts) does to the store for one UTC day: the SQL of staging,
 * of replacing the day's rows, and of clearing up. Which tables the views fill from a day's spans and
 * log records is listed once here (DERIVED), and checked against the views the store really has
 * before a job starts (checkStore), so a view added later cannot be forgotten silently.
 */
import { config } from '../config';
import { ident, raw, sql, type Db, type Sql } from '../db';
import { SHARDED, storageTable } from '../db/cluster';

export const DAY_MS = 86_400_000;

/** One UTC day: its date text, its bounds, and the partition id of a `toDate(…)` partition. */
export interface Day {
	day: string;
	lo: Date;
	hi: Date;
	partition: string;
}

export function dayOf(day: string): Day {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new TypeError(`not a day: ${day}`);
	const lo = new Date(`${day}T00:00:00.000Z`);
	return { day, lo, hi: new Date(lo.getTime() + DAY_MS), partition: day.replaceAll('-', '') };
}

/** `col` within the day (DateTime64(3) bounds: works for DateTime and DateTime64 columns). */
export const within = (col: string, d: Day): Sql => sql`${ident(col)} >= ${{ 'DateTime64(3)': d.lo }} AND ${ident(col)} < ${{ 'DateTime64(3)': d.hi }}`;

/** The day in otel_traces, otel_logs (partitioned by TimestampTime) and the staging tables. */
export const spansOf = (d: Day) => within('Timestamp', d);
export const logsOf = (d: Day) => within('TimestampTime', d);
export const stagedOf = (d: Day) => within('Timestamp', d);
export const dayParam = (d: Day) => sql`${{ Date: d.day }}`;

/** A span's identity (a re-sent span has the same); a log record's is the whole record. */
export const SPAN_ID = raw('sipHash64(TraceId, SpanId)');
export const LOG_ID = raw(
	'sipHash64(Timestamp, TraceId, SpanId, ServiceName, ScopeName, SeverityNumber, SeverityText, Body, EventName, LogAttributes, ResourceAttributes)'
);
/** Which chunk of a day a row is read in: a trace's spans and log records are read together. */
export const CHUNK_OF = raw(`cityHash64(if(TraceId != '', TraceId, toString(Timestamp)))`);
export const inChunk = (n: number, i: number) => sql`${CHUNK_OF} % ${{ UInt32: n }} = ${{ UInt32: i }}`;

/** An insert of the job: never dropped as a repeat of an earlier identical block (a second run writes the same rows). */
export const insertInto = (table: string, columns = '') => sql`INSERT INTO ${ident(table)}${raw(columns ? ` (${columns})` : '')} SETTINGS insert_deduplicate = 0`;

/**
 * A table to alter or delete from. In a cluster a sharded table's rows are in its local tables, so the
 * statement goes to every node; every other table is replicated, and one replica's change reaches all.
 */
function target(name: string): Sql {
	const cluster = config().clickhouseCluster;
	return cluster && name in SHARDED ? sql`${ident(storageTable(name, cluster))} ON CLUSTER ${ident(cluster)}` : sql`${ident(name)}`;
}

const dropPartition = (table: string, d: Day) => sql`ALTER TABLE ${target(table)} DROP PARTITION ID ${raw(`'${d.partition}'`)}`;

/**
 * The tables the views fill from a day's spans and log records, and how a day of them goes: a
 * partition drop where the partition is exactly the day, a lightweight DELETE by the table's own time
 * column otherwise. otel_traces_trace_id_ts is not here: it keeps min/max times per trace, which the
 * same rows written again leave as they are.
 */
export const DERIVED: readonly { table: string; col?: string }[] = [
	{ table: 'lineage_spans', col: 'Timestamp' },
	{ table: 'business_key_index', col: 'Timestamp' },
	{ table: 'exception_events', col: 'Timestamp' },
	{ table: 'message_successes', col: 'Timestamp' },
	{ table: 'sla_tx_traces' },
	{ table: 'sla_tx_steps' },
	{ table: 'sla_step_minute' },
	// filled by a view on sla_step_minute, partitioned by month
	{ table: 'sla_step_hour', col: 'Hour' },
	{ table: 'sla_dead_letters_minute' },
	// reconciliation (migration 400): points by day, control totals by the record's own time
	{ table: 'recon_points' },
	{ table: 'recon_control_totals', col: 'Timestamp' }
];
const KEPT = new Set(['otel_traces_trace_id_ts']);

/**
 * Refuse to run on a store the job does not know how to rewrite: staging tables whose columns differ
 * from otel_traces / otel_logs, or a view (directly or through another view) filling a table that
 * DERIVED does not clear.
 */
export async function checkStore(d: Db): Promise<void> {
	const cluster = config().clickhouseCluster;
	for (const [stored, staged] of [['otel_traces', 'reinterpret_spans'], ['otel_logs', 'reinterpret_logs']]) {
		const [r] = await d.query<{ same: number }>(sql`
			SELECT (SELECT groupArray((name, type)) FROM (SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ${{ String: stored }} ORDER BY position))
				= (SELECT groupArray((name, type)) FROM (SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ${{ String: staged }} ORDER BY position)) AS same`);
		if (!r || Number(r.same) !== 1) throw new Error(`${staged} no longer has the columns of ${stored}: a migration that changes ${stored} must change ${staged} too`);
	}
	const views = await d.query<{ source: string; target: string }>(sql`
		SELECT t.name AS source, extract(v.create_table_query, ${{ String: ' TO (?:[A-Za-z0-9_]+\\.)?([A-Za-z0-9_]+)' }}) AS target
		FROM (SELECT name, arrayJoin(dependencies_table) AS view FROM system.tables WHERE database = currentDatabase()) AS t
		INNER JOIN (SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase()) AS v ON v.name = t.view`);
	const base = (n: string) => (cluster && n.endsWith('_local') ? n.slice(0, -6) : n);
	const known = new Set(DERIVED.map((x) => x.table));
	const reached = new Set<string>();
	const todo = ['otel_traces', 'otel_logs'];
	while (todo.length) {
		const from = todo.pop()!;
		for (const v of views) {
			if (base(v.source) !== from || !v.target || reached.has(base(v.target))) continue;
			reached.add(base(v.target));
			todo.push(base(v.target));
		}
	}
	const unknown = [...reached].filter((t) => !known.has(t) && !KEPT.has(t));
	if (unknown.length) throw new Error(`views fill ${unknown.join(', ')} from spans or logs, which the re-interpret job does not clear: add them to DERIVED (reinterpret-store.ts)`);
}

/** Rows of the day, for the progress total. */
export async function countDay(d: Db, day: Day): Promise<{ spans: number; logs: number }> {
	const [r] = await d.query<{ spans: number; logs: number }>(sql`
		SELECT (SELECT count() FROM otel_traces WHERE ${spansOf(day)}) AS spans, (SELECT count() FROM otel_logs WHERE ${logsOf(day)}) AS logs`);
	return { spans: Number(r?.spans ?? 0), logs: Number(r?.logs ?? 0) };
}

/**
 * The day's rows into staging, chunk by chunk: each span once, with the attribute map the rules gave
 * it where that changed (reinterpret_rows), else as stored; log records likewise.
 */
export async function stageRows(d: Db, day: Day, chunks: number): Promise<void> {
	for (let i = 0; i < chunks; i++) {
		const changed = (signal: string) =>
			sql`SELECT RowHash, Attributes, 1 AS Hit FROM reinterpret_rows WHERE Day = ${dayParam(day)} AND Signal = ${{ String: signal }} AND Late = 0 AND Chunk = ${{ UInt32: i }}`;
		await d.exec(sql`
			${insertInto('reinterpret_spans')}
			SELECT t.* EXCEPT (RowKey) REPLACE (if(a.Hit = 1, a.Attributes, t.SpanAttributes) AS SpanAttributes)
			FROM (SELECT *, ${SPAN_ID} AS RowKey FROM otel_traces WHERE ${spansOf(day)} AND ${inChunk(chunks, i)} LIMIT 1 BY RowKey) AS t
			LEFT JOIN (${changed('span')}) AS a ON t.RowKey = a.RowHash
			SETTINGS join_use_nulls = 0`);
		await d.exec(sql`
			${insertInto('reinterpret_logs')}
			SELECT t.* EXCEPT (RowKey) REPLACE (if(a.Hit = 1, a.Attributes, t.LogAttributes) AS LogAttributes)
			FROM (SELECT *, ${LOG_ID} AS RowKey FROM otel_logs WHERE ${logsOf(day)} AND ${inChunk(chunks, i)} LIMIT 1 BY RowKey) AS t
			LEFT JOIN (${changed('log')}) AS a ON t.RowKey = a.RowHash
			SETTINGS join_use_nulls = 0`);
	}
}

/**
 * Replace the day's stored rows with the staged ones: delete them (by identity, so rows arriving
 * meanwhile stay), delete what the views derived from the day, insert the staged rows (the views
 * derive everything anew), then give rows that arrived during the swap the same treatment (their
 * derived rows may have gone with the day's). Safe to repeat from the start after a crash.
 */
export async function swapDay(d: Db, day: Day): Promise<{ late: number }> {
	const cluster = config().clickhouseCluster;
	// the deletes run on every node against its replica of staging: it must hold every staged row
	if (cluster) for (const t of STAGING) await d.exec(sql`SYSTEM SYNC REPLICA ON CLUSTER ${ident(cluster)} ${ident(t)}`);
	const stagedSpans = sql`SELECT ${SPAN_ID} FROM reinterpret_spans WHERE ${stagedOf(day)}`;
	const stagedLogs = sql`SELECT ${LOG_ID} FROM reinterpret_logs WHERE ${stagedOf(day)}`;
	const changedLogs = sql`SELECT RowHash FROM reinterpret_rows WHERE Day = ${dayParam(day)} AND Signal = 'log' AND Late = 0`;
	await d.exec(sql`DELETE FROM ${target('otel_traces')} WHERE ${spansOf(day)} AND ${SPAN_ID} IN (${stagedSpans})`);
	await d.exec(sql`DELETE FROM ${target('otel_logs')} WHERE ${logsOf(day)} AND (${LOG_ID} IN (${stagedLogs}) OR ${LOG_ID} IN (${changedLogs}))`);
	for (const t of DERIVED) await d.exec(t.col ? sql`DELETE FROM ${target(t.table)} WHERE ${within(t.col, day)}` : dropPartition(t.table, day));
	await d.exec(sql`${insertInto('otel_traces')} SELECT * FROM reinterpret_spans WHERE ${stagedOf(day)}`);
	await d.exec(sql`${insertInto('otel_logs')} SELECT * FROM reinterpret_logs WHERE ${stagedOf(day)}`);

	// rows that arrived since staging: staged as they are (the collector interpreted them with the
	// rules in use), deleted and written again so the views derive them after the deletes above
	await d.exec(sql`DELETE FROM reinterpret_rows WHERE Day = ${dayParam(day)} AND Late = 1`);
	await d.exec(sql`
		${insertInto('reinterpret_rows', 'Day, Signal, Chunk, Late, RowHash')}
		SELECT DISTINCT ${dayParam(day)}, 'span', 0, 1, ${SPAN_ID} FROM otel_traces WHERE ${spansOf(day)} AND ${SPAN_ID} NOT IN (${stagedSpans})
		UNION ALL
		SELECT DISTINCT ${dayParam(day)}, 'log', 0, 1, ${LOG_ID} FROM otel_logs WHERE ${logsOf(day)} AND ${LOG_ID} NOT IN (${stagedLogs})`);
	const late = (signal: string) => sql`SELECT RowHash FROM reinterpret_rows WHERE Day = ${dayParam(day)} AND Signal = ${{ String: signal }} AND Late = 1`;
	const [{ n }] = await d.query<{ n: number }>(sql`SELECT count() AS n FROM reinterpret_rows WHERE Day = ${dayParam(day)} AND Late = 1`);
	if (Number(n) === 0) return { late: 0 };
	await d.exec(sql`${insertInto('reinterpret_spans')} SELECT * FROM otel_traces WHERE ${spansOf(day)} AND ${SPAN_ID} IN (${late('span')}) LIMIT 1 BY TraceId, SpanId`);
	await d.exec(sql`${insertInto('reinterpret_logs')} SELECT * FROM otel_logs WHERE ${logsOf(day)} AND ${LOG_ID} IN (${late('log')}) LIMIT 1 BY ${LOG_ID}`);
	await d.exec(sql`DELETE FROM ${target('otel_traces')} WHERE ${spansOf(day)} AND ${SPAN_ID} IN (${late('span')})`);
	await d.exec(sql`DELETE FROM ${target('otel_logs')} WHERE ${logsOf(day)} AND ${LOG_ID} IN (${late('log')})`);
	await d.exec(sql`${insertInto('otel_traces')} SELECT * FROM reinterpret_spans WHERE ${stagedOf(day)} AND ${SPAN_ID} IN (${late('span')})`);
	await d.exec(sql`${insertInto('otel_logs')} SELECT * FROM reinterpret_logs WHERE ${stagedOf(day)} AND ${LOG_ID} IN (${late('log')})`);
	return { late: Number(n) };
}

const STAGING = ['reinterpret_rows', 'reinterpret_spans', 'reinterpret_logs', 'reinterpret_sla_keys'];

/** Empty the day's staging (rows, maps, transaction keys). */
export async function clearStaging(d: Db, day: Day): Promise<void> {
	for (const t of STAGING) await d.exec(dropPartition(t, day));
}
