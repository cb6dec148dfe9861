/**
 * The projection behind the queue (exception_current, migration 211): each exception's derived row
 * (queries.ts `derived`, the same rules the exception page reads live), rewritten whenever something
 * that decides it is new: a failure (exception_events), a success of one of its keys
 * (message_successes) or an audit row (actions, deliveries). "New" is by block number, as the SLA
 * fold reads its rollups (sla/fold.ts): MergeTree numbers blocks at commit and rows keep their
 * number through merges, so nothing committed later hides below the mark.
 *
 * Readers call refreshCurrent() first (read-your-writes: a failure just ingested or an action just
 * taken is in the next queue page); with nothing new it is one look at system.parts. Projecting the
 * same rows twice writes the same row with a later ProjectedAt, so two consoles may both run it.
 */
import { db, raw, sql, type Db } from '../db';
import { newer } from '../sla/live';
import { derived, successKeys } from './queries';

const SOURCES = ['exception_events', 'message_successes', 'audit_log'] as const;
type Source = (typeof SOURCES)[number];
type Marks = Record<Source, number>;

/** Exceptions projected per statement: bounds the parameter size and one query's memory. */
const CHUNK = 20_000;

const COLUMNS =
	'ExceptionId, Flow, Step, MessageId, IdempotencyKey, CorrelationId, EntityType, EntityId, Partner, Source, Target, Service, Amount, Currency, ' +
	'ErrorClass, ErrorCode, ErrorMessage, SpanFailures, DeadLetters, FirstSeen, LastSeen, LastTraceId, ResolvedAtN, ResolvedTraceIdN, Assignee, State';

interface ProjectionState {
	marks: Marks | null;
	running: Promise<number> | null;
}
const KEY = Symbol.for('syncscope.exceptionCurrent');
type Holder = { [KEY]?: ProjectionState };

function state(d: Db): ProjectionState {
	const h = d as unknown as Holder;
	return (h[KEY] ??= { marks: null, running: null });
}

async function readMarks(d: Db): Promise<Marks> {
	const rows = await d.query<{ Source: Source; MaxBlock: string }>(sql`SELECT Source, max(MaxBlock) AS MaxBlock FROM exception_current_state GROUP BY Source`);
	const marks: Marks = { exception_events: 0, message_successes: 0, audit_log: 0 };
	for (const r of rows) if (r.Source in marks) marks[r.Source] = Number(r.MaxBlock);
	return marks;
}

/** The exceptions whose rows may have changed since `marks`. */
async function touched(d: Db, marks: Marks): Promise<string[]> {
	const rows = await d.query<{ id: string }>(sql`
		SELECT DISTINCT ExceptionId AS id FROM exception_events WHERE ${newer(marks.exception_events)}
		UNION DISTINCT
		SELECT DISTINCT SubjectId AS id FROM audit_log WHERE ${newer(marks.audit_log)} AND SubjectType = 'exception'
		UNION DISTINCT
		SELECT DISTINCT ExceptionId AS id FROM exception_events
			ARRAY JOIN ${successKeys('MessageId', 'IdempotencyKey', 'CorrelationId')} AS k
			WHERE (Flow, k) IN (SELECT Flow, KeyValue FROM message_successes WHERE ${newer(marks.message_successes)})`);
	return rows.map((r) => r.id);
}

/** Rewrite the rows of `ids` (all exceptions when null) from the sources as they are now. */
async function project(d: Db, ids: string[] | null): Promise<void> {
	if (ids === null) {
		await d.exec(sql`INSERT INTO exception_current (${raw(COLUMNS)}, ProjectedAt) SELECT ${raw(COLUMNS)}, now64(6) FROM (${derived(raw('1'))})`);
		return;
	}
	for (let i = 0; i < ids.length; i += CHUNK) {
		const part = ids.slice(i, i + CHUNK);
		const pre = sql`ExceptionId IN ${{ 'Array(String)': part }}`;
		// only these exceptions' successes: the primary key (Flow, Step, KeyValue) narrows the read
		const successes = sql`(Flow, Step, KeyValue) IN (SELECT Flow, Step, k FROM exception_events
			ARRAY JOIN ${successKeys('MessageId', 'IdempotencyKey', 'CorrelationId')} AS k WHERE ${pre})`;
		await d.exec(sql`INSERT INTO exception_current (${raw(COLUMNS)}, ProjectedAt) SELECT ${raw(COLUMNS)}, now64(6) FROM (${derived(pre, successes)})`);
	}
}

async function refreshOnce(d: Db, s: ProjectionState): Promise<number> {
	const marks = (s.marks ??= await readMarks(d));
	// the newest block of each source now: everything at or below it is committed and visible
	const tops = await d.query<{ table: Source; top: string }>(sql`
		SELECT table, max(max_block_number) AS top FROM system.parts
		WHERE database = currentDatabase() AND active AND table IN ${{ 'Array(String)': [...SOURCES] }} GROUP BY table`);
	const next: Marks = { ...marks };
	for (const t of tops) next[t.table] = Math.max(marks[t.table], Number(t.top));
	if (SOURCES.every((src) => next[src] === marks[src])) return 0;
	const first = SOURCES.every((src) => marks[src] === 0);
	const ids = first ? null : await touched(d, marks);
	await project(d, ids);
	await d.insertRows('exception_current_state', SOURCES.map((src) => ({ Source: src, MaxBlock: next[src], At: new Date().toISOString().replace('T', ' ').slice(0, 23) })));
	s.marks = next;
	return ids?.length ?? -1;
}

/**
 * Bring exception_current up to what is committed now. One projection runs at a time per process; a
 * caller that arrives while one runs waits for it and then runs its own (the running one may have
 * started before the caller's data was committed). Resolves with how many exceptions were rewritten
 * (-1: all of them).
 */
export async function refreshCurrent(d: Db = db()): Promise<number> {
	const s = state(d);
	while (s.running) await s.running.catch(() => undefined);
	s.running = refreshOnce(d, s).finally(() => (s.running = null));
	return s.running;
}
