/**
 * Exception queries over exception_events (failures, filled by materialized views), message_successes
 * (what resolves them) and audit_log (what people did). State is derived here, in one place.
 */
import { db, join, raw, sql, type Sql } from '../db';
import type { ExceptionState } from './state';
// current.ts reads `derived` from here and is called at run time only: the cycle is safe
import { refreshCurrent } from './current';

export interface ExceptionRow {
	id: string;
	flow: string;
	step: string;
	messageId: string;
	idempotencyKey: string;
	correlationId: string;
	entityType: string;
	entityId: string;
	partner: string;
	source: string;
	target: string;
	service: string;
	amount: number | null;
	currency: string;
	errorClass: string;
	errorCode: string;
	errorMessage: string;
	attempts: number;
	deadLetters: number;
	firstSeen: string;
	lastSeen: string;
	lastTraceId: string;
	state: ExceptionState;
	/** set when a later successful delivery of the same message resolved it */
	resolvedAt: string | null;
	resolvedTraceId: string | null;
	assignee: string;
	/** when the queue's projection (exception_current) wrote this row; absent for rows derived live */
	projectedAt?: string;
}

export interface SqlFilters {
	ids?: string[];
	flow?: string;
	step?: string;
	system?: string;
	partner?: string;
	errorClass?: string;
	errorCode?: string;
	state?: ExceptionState[];
	olderThanMinutes?: number;
	newerThanMinutes?: number;
	minAmount?: number;
	/** correlation ID, message ID, idempotency key or entity ID */
	key?: string;
	/** what needs a person: NEEDS_PERSON states, or assigned to this email and not closed */
	attentionOf?: string;
}

/** States in which an exception waits for a person (the queue's default view). */
export const NEEDS_PERSON: readonly ExceptionState[] = ['open', 'replay_requested', 'rejected'];
const CLOSED: readonly ExceptionState[] = ['resolved', 'discarded'];

/**
 * The keys a later success resolves an exception by (message_successes, migration 205): message ID
 * and idempotency key, else the correlation ID as `correlation:<id>`. Arguments are column expressions.
 */
export function successKeys(messageId: string, idempotencyKey: string, correlationId: string): Sql {
	return raw(
		`arrayFilter(x -> x != '' AND x != 'correlation:', [${messageId}, ${idempotencyKey}, if(${messageId} = '' AND ${idempotencyKey} = '', concat('correlation:', ${correlationId}), '')])`
	);
}

/** How far ahead of its arrival a row's own timestamp is believed (clock skew between systems). */
export const FUTURE_TOLERANCE_MINUTES = 5;

/**
 * When a failure or success (exception_events, message_successes) counts as having happened, for
 * ordering them against each other and against people's actions: its own timestamp, unless that is
 * more than FUTURE_TOLERANCE_MINUTES after it reached Syncscope (a clock far ahead, a span dated in
 * the year 2200): then when it arrived. Otherwise such a failure would outrank every later action and
 * success forever. ReceivedAt: migration 206.
 */
export function orderedAt(): Sql {
	return raw(`if(Timestamp > ReceivedAt + toIntervalMinute(${FUTURE_TOLERANCE_MINUTES}), toDateTime64(ReceivedAt, 9), Timestamp)`);
}

/**
 * Per-exception aggregate, resolution and action state, as one SELECT (filters are applied outside).
 * Every "newest"/"later" here orders by orderedAt() (column At), so state, resolution and the
 * governing signature agree on what came last.
 */
export function derived(pre: Sql, successFilter: Sql = raw('1')): Sql {
	return sql`
WITH agg AS (
	SELECT ExceptionId,
		any(Flow) AS Flow,
		argMax(Step, (Signal = 'span', At)) AS Step,
		max(MessageId) AS MessageId, max(IdempotencyKey) AS IdempotencyKey,
		max(CorrelationId) AS CorrelationId, max(EntityType) AS EntityType, max(EntityId) AS EntityId,
		max(Partner) AS Partner, max(Source) AS Source, max(Target) AS Target,
		argMax(ServiceName, At) AS Service,
		max(Amount) AS Amount, max(Currency) AS Currency,
		argMaxIf(ErrorClass, At, ErrorClass != '') AS ErrorClass,
		argMaxIf(ErrorCode, At, ErrorCode != '') AS ErrorCode,
		argMaxIf(ErrorMessage, At, ErrorMessage != '') AS ErrorMessage,
		uniqExactIf((TraceId, SpanId), Signal = 'span') AS SpanFailures,
		uniqExactIf((TraceId, SpanId, Timestamp), Signal = 'log') AS DeadLetters,
		min(At) AS FirstSeen, max(At) AS LastSeen,
		argMax(TraceId, At) AS LastTraceId
	FROM (SELECT *, ${orderedAt()} AS At FROM exception_events WHERE ${pre})
	GROUP BY ExceptionId
),
res AS (
	-- its own light pass over the failures (a CTE is inlined at every use, so agg is not reused)
	SELECT e.ExceptionId AS ExceptionId,
		minIf(s.At, s.At > e.LastSeen) AS ResolvedAt,
		argMinIf(s.TraceId, s.At, s.At > e.LastSeen) AS ResolvedTraceId
	FROM (
		SELECT ExceptionId, any(Flow) AS Flow, argMax(Step, (Signal = 'span', At)) AS Step, max(At) AS LastSeen,
			${successKeys('max(MessageId)', 'max(IdempotencyKey)', 'max(CorrelationId)')} AS Keys
		FROM (SELECT *, ${orderedAt()} AS At FROM exception_events WHERE ${pre})
		GROUP BY ExceptionId
	) AS e
	ARRAY JOIN Keys AS k
	INNER JOIN (SELECT Flow, Step, KeyValue, ${orderedAt()} AS At, TraceId FROM message_successes WHERE ${successFilter}) AS s
		ON s.Flow = e.Flow AND s.Step = e.Step AND s.KeyValue = k
	GROUP BY e.ExceptionId
),
act AS (
	SELECT SubjectId AS ExceptionId,
		argMaxIf(ToState, Seq, ToState != '') AS ActState,
		maxIf(At, ToState != '') AS ActAt,
		argMaxIf(JSONExtractString(Data, 'assignee'), Seq, Action = 'assign') AS Assignee
	FROM audit_log
	WHERE SubjectType = 'exception' AND Result = 'ok'
	GROUP BY SubjectId
)
SELECT agg.*, agg.ExceptionId AS ExceptionId,
	if(res.ResolvedAt > toDateTime64(0, 9), res.ResolvedAt, NULL) AS ResolvedAtN,
	if(res.ResolvedAt > toDateTime64(0, 9), res.ResolvedTraceId, NULL) AS ResolvedTraceIdN,
	act.Assignee AS Assignee,
	multiIf(
		ResolvedAtN IS NOT NULL AND act.ActState != 'discarded', 'resolved',
		act.ActState IN ('retrying', 'replayed', 'resolved') AND agg.LastSeen > act.ActAt, 'open',
		act.ActState = '', 'open',
		act.ActState) AS State
FROM agg
LEFT JOIN res ON res.ExceptionId = agg.ExceptionId
LEFT JOIN act ON act.ExceptionId = agg.ExceptionId
SETTINGS join_use_nulls = 0`;
}

/**
 * The rows filters apply to: for a list of ids, derived live (the page of one exception, a bulk dry
 * run); otherwise the projection exception_current (migration 211), which callers bring up to date
 * up to date first (current.ts refreshCurrent). Both have the columns of `derived`.
 */
async function source(f: SqlFilters): Promise<Sql> {
	if (f.ids?.length) return derived(preFilters(f));
	await refreshCurrent();
	return sql`SELECT * FROM exception_current FINAL WHERE ${preFilters(f)}`;
}

function preFilters(f: SqlFilters): Sql {
	const parts: Sql[] = [raw('1')];
	if (f.ids?.length) parts.push(sql`ExceptionId IN ${{ 'Array(String)': f.ids }}`);
	if (f.flow) parts.push(sql`Flow = ${{ String: f.flow }}`);
	if (f.key) {
		const k = f.key;
		parts.push(
			sql`ExceptionId IN (SELECT ExceptionId FROM exception_events WHERE CorrelationId = ${{ String: k }} OR MessageId = ${{ String: k }} OR IdempotencyKey = ${{ String: k }} OR EntityId = ${{ String: k }})`
		);
	}
	return join(parts, ' AND ');
}

function postFilters(f: SqlFilters): Sql {
	const parts: Sql[] = [raw('1')];
	if (f.step) parts.push(sql`Step = ${{ String: f.step }}`);
	if (f.system) parts.push(sql`${{ String: f.system }} IN (Source, Target, Service)`);
	if (f.partner) parts.push(sql`Partner = ${{ String: f.partner }}`);
	if (f.errorClass) parts.push(sql`ErrorClass = ${{ String: f.errorClass }}`);
	if (f.errorCode) parts.push(sql`ErrorCode = ${{ String: f.errorCode }}`);
	if (f.state?.length) parts.push(sql`State IN ${{ 'Array(String)': f.state }}`);
	if (f.olderThanMinutes) parts.push(sql`FirstSeen < now64(9) - toIntervalMinute(${{ UInt32: f.olderThanMinutes }})`);
	if (f.newerThanMinutes) parts.push(sql`FirstSeen >= now64(9) - toIntervalMinute(${{ UInt32: f.newerThanMinutes }})`);
	if (f.minAmount !== undefined) parts.push(sql`Amount >= ${{ Float64: f.minAmount }}`);
	if (f.attentionOf !== undefined) {
		parts.push(
			sql`(State IN ${{ 'Array(String)': [...NEEDS_PERSON] }} OR (Assignee = ${{ String: f.attentionOf }} AND Assignee != '' AND State NOT IN ${{ 'Array(String)': [...CLOSED] }}))`
		);
	}
	return join(parts, ' AND ');
}

interface Raw {
	ExceptionId: string;
	Flow: string;
	Step: string;
	MessageId: string;
	IdempotencyKey: string;
	CorrelationId: string;
	EntityType: string;
	EntityId: string;
	Partner: string;
	Source: string;
	Target: string;
	Service: string;
	Amount: number | null;
	Currency: string;
	ErrorClass: string;
	ErrorCode: string;
	ErrorMessage: string;
	SpanFailures: number;
	DeadLetters: number;
	FirstSeen: string;
	LastSeen: string;
	LastTraceId: string;
	ResolvedAtN: string | null;
	ResolvedTraceIdN: string | null;
	Assignee: string;
	State: ExceptionState;
	ProjectedAt?: string;
}

function toRow(r: Raw): ExceptionRow {
	return {
		id: r.ExceptionId,
		flow: r.Flow,
		step: r.Step,
		messageId: r.MessageId,
		idempotencyKey: r.IdempotencyKey,
		correlationId: r.CorrelationId,
		entityType: r.EntityType,
		entityId: r.EntityId,
		partner: r.Partner,
		source: r.Source,
		target: r.Target,
		service: r.Service,
		amount: r.Amount,
		currency: r.Currency,
		errorClass: r.ErrorClass,
		errorCode: r.ErrorCode,
		errorMessage: r.ErrorMessage,
		// a dead letter without a failed span is still one failed attempt
		attempts: Math.max(r.SpanFailures, r.DeadLetters > 0 ? 1 : 0),
		deadLetters: r.DeadLetters,
		firstSeen: r.FirstSeen,
		lastSeen: r.LastSeen,
		lastTraceId: r.LastTraceId,
		state: r.State,
		resolvedAt: r.ResolvedAtN,
		resolvedTraceId: r.ResolvedTraceIdN,
		assignee: r.Assignee,
		...(r.ProjectedAt ? { projectedAt: r.ProjectedAt } : {})
	};
}

/** Exceptions matching the filters, newest failure first, at most `cap` rows. */
export async function queryExceptions(f: SqlFilters, cap = 5000): Promise<ExceptionRow[]> {
	const from = await source(f);
	const rows = await db().query<Raw>(
		sql`SELECT * FROM (${from}) WHERE ${postFilters(f)} ORDER BY LastSeen DESC LIMIT ${{ UInt32: cap }}`
	);
	return rows.map(toRow);
}

export type SortKey = 'risk' | 'lastSeen' | 'firstSeen' | 'attempts' | 'amount';

/**
 * Each sort as two numeric keys, then ExceptionId, all in one direction, so a page boundary is one
 * tuple comparison (keyset paging: the next page starts after the last row's keys, whatever was
 * inserted meanwhile, at the cost of the first page). 'risk' is value at risk, then age (oldest first).
 */
const SORT_KEYS: Record<SortKey, [string, string]> = {
	risk: ['ifNull(Amount, -1e308)', '-toUnixTimestamp64Nano(FirstSeen)'],
	lastSeen: ['0', 'toUnixTimestamp64Nano(LastSeen)'],
	firstSeen: ['0', 'toUnixTimestamp64Nano(FirstSeen)'],
	attempts: ['toFloat64(greatest(SpanFailures, DeadLetters > 0))', 'toUnixTimestamp64Nano(LastSeen)'],
	amount: ['ifNull(Amount, -1e308)', 'toUnixTimestamp64Nano(LastSeen)']
};

/** Where a page ends: the last row's sort keys (K1 Float64, K2 Int64 as text, the id). */
export interface PageCursor {
	k1: number;
	k2: string;
	id: string;
}

/** One page of exceptions after `cursor` (or from `offset`), sorted in ClickHouse, and how many match in all. */
export async function queryPage(
	f: SqlFilters,
	sort: SortKey,
	dir: 'asc' | 'desc',
	limit: number,
	at: { offset?: number; cursor?: PageCursor | null } = {}
): Promise<{ total: number; rows: ExceptionRow[]; next: PageCursor | null }> {
	// key expressions and direction come from fixed maps, never from the request text
	const [k1, k2] = SORT_KEYS[sort];
	const d = dir === 'asc' ? 'ASC' : 'DESC';
	const order = raw(`K1 ${d}, K2 ${d}, ExceptionId ${d}`);
	const after = at.cursor
		? sql`(K1, K2, ExceptionId) ${raw(dir === 'asc' ? '>' : '<')} (${{ Float64: at.cursor.k1 }}, ${{ Int64: at.cursor.k2 }}, ${{ String: at.cursor.id }})`
		: raw('1');
	// the total counts everything that matches, before the page boundary applies; the page is a
	// top-N over the sort keys only (narrow columns), then its rows are read by primary key
	const from = await source(f);
	const [keys, count] = await Promise.all([
		db().query<{ ExceptionId: string; K1: number; K2: string }>(
			sql`SELECT ExceptionId, K1, K2 FROM (
					SELECT ExceptionId, ${raw(k1)} AS K1, ${raw(k2)} AS K2 FROM (${from}) WHERE ${postFilters(f)}
				) WHERE ${after}
				ORDER BY ${order} LIMIT ${{ UInt32: limit + 1 }} OFFSET ${{ UInt32: at.offset ?? 0 }}`
		),
		db().query<{ n: string }>(sql`SELECT count() AS n FROM (${from}) WHERE ${postFilters(f)}`)
	]);
	const pageKeys = keys.slice(0, limit);
	const ids = pageKeys.map((k) => k.ExceptionId);
	const full = ids.length === 0 ? [] : await db().query<Raw>(f.ids?.length ? sql`SELECT * FROM (${from}) WHERE ExceptionId IN ${{ 'Array(String)': ids }}` : sql`SELECT * FROM exception_current FINAL WHERE ExceptionId IN ${{ 'Array(String)': ids }}`);
	const byId = new Map(full.map((r) => [r.ExceptionId, r]));
	const last = pageKeys[pageKeys.length - 1];
	const next = keys.length > limit && last ? { k1: Number(last.K1), k2: String(last.K2), id: last.ExceptionId } : null;
	return { total: Number(count[0]?.n ?? 0), rows: ids.flatMap((id) => (byId.has(id) ? [toRow(byId.get(id)!)] : [])), next };
}

/** Counts per error signature (flow, step, class, code) over everything that matches. */
export async function queryGroups(f: SqlFilters): Promise<{ flow: string; step: string; errorClass: string; errorCode: string; count: number; oldest: string }[]> {
	const from = await source(f);
	return db().query(
		sql`SELECT Flow AS flow, Step AS step, ErrorClass AS errorClass, ErrorCode AS errorCode, count() AS count, min(FirstSeen) AS oldest
			FROM (${from}) WHERE ${postFilters(f)}
			GROUP BY flow, step, errorClass, errorCode ORDER BY count DESC, flow, step, errorClass, errorCode LIMIT 200`
	);
}

/** One exception, or null. */
export async function getExceptionRow(id: string): Promise<ExceptionRow | null> {
	const f = { ids: [id] };
	// for one exception the primary key (Flow, Step, KeyValue) narrows the successes to its message
	const successes = sql`(Flow, Step, KeyValue) IN (SELECT Flow, Step, k FROM exception_events
		ARRAY JOIN ${successKeys('MessageId', 'IdempotencyKey', 'CorrelationId')} AS k WHERE ExceptionId = ${{ String: id }})`;
	const rows = await db().query<Raw>(sql`SELECT * FROM (${derived(preFilters(f), successes)}) LIMIT 1`);
	return rows[0] ? toRow(rows[0]) : null;
}

/** The newest dead-letter body of an exception (what a replay re-sends), or null without one. */
export async function latestPayload(id: string): Promise<{ payload: string; at: string; traceId: string } | null> {
	const rows = await db().query<{ Payload: string; Timestamp: string; TraceId: string }>(
		sql`SELECT Payload, Timestamp, TraceId FROM exception_events
			WHERE ExceptionId = ${{ String: id }} AND Signal = 'log' ORDER BY ${orderedAt()} DESC, Timestamp DESC LIMIT 1`
	);
	return rows[0] ? { payload: rows[0].Payload, at: rows[0].Timestamp, traceId: rows[0].TraceId } : null;
}

export interface FailureEvent {
	signal: 'span' | 'log';
	timestamp: string;
	traceId: string;
	spanId: string;
	service: string;
	step: string;
	outcome: string;
	errorClass: string;
	errorCode: string;
	errorMessage: string;
}

/** Every failure signal of one exception (each span once), oldest first. */
export async function failureEvents(id: string): Promise<FailureEvent[]> {
	return db().query<FailureEvent>(
		sql`SELECT Signal AS signal, Timestamp AS timestamp, TraceId AS traceId, SpanId AS spanId, ServiceName AS service,
				Step AS step, Outcome AS outcome, ErrorClass AS errorClass, ErrorCode AS errorCode, ErrorMessage AS errorMessage
			FROM exception_events WHERE ExceptionId = ${{ String: id }}
			ORDER BY Timestamp LIMIT 1 BY Signal, TraceId, SpanId, Timestamp`
	);
}
