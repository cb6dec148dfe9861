/**
 * The transactions of some flows that started in a window, one row each, read from the
 * sla_tx_traces rollup (never from raw spans). Every KPI query wraps this subquery, so every
 * figure follows the same counting rules (see README.md in this folder).
 */
import type { Flow } from '../flows/schema';
import { raw, sql, type Sql } from '../db';

export interface Window {
	from: Date;
	to: Date;
	/** "now" for pending and stuck figures (tests pin it) */
	now: Date;
}

/** A transaction counts as stuck once it is this old without reaching its end step. */
export function stuckAfterMs(flow: Flow): number {
	const end = endStep(flow);
	const step = flow.steps.find((s) => s.id === end);
	return step?.within ?? flow.objectives.e2eP99 ?? flow.objectives.e2eP95 ?? 0;
}

/** The step that ends a transaction: the flow's endStep, else its last non-optional step. */
export function endStep(flow: Flow): string {
	if (flow.objectives.endStep) return flow.objectives.endStep;
	const required = flow.steps.filter((s) => !s.optional);
	return required.at(-1)?.id ?? '';
}

/** Milliseconds between two DateTime64(9) expressions (fixed SQL, no user input). */
const ms = (a: string, b: string) => raw(`(toUnixTimestamp64Nano(${b}) - toUnixTimestamp64Nano(${a})) / 1e6`);

/**
 * Columns: Flow, CorrelationId, start, outcome ('failed' when a step's last outcome failed or was
 * rejected, 'success' when some step succeeded, 'duplicate' when only blocked duplicates were seen,
 * '' when nothing carried an outcome: counted as succeeded), step/system/errClass/errCode of the
 * failing step (else of the last step with an outcome), firstTraceMs (end-to-end time of the first
 * trace, null unless no step of that trace ended failed), amount, currency, partner, eventDelayMs,
 * failedSpans, retrySpans, dupSpans, reachedEnd, stuck, atRisk.
 *
 * The per-step last outcome (maxMap over a map of tuples) is most of the query's cost, and only
 * matters for a transaction with some failed or rejected step entry: without one, no step's last
 * outcome can be failing. So by default the maps are merged only for those transactions (the
 * `suspect` set, a few percent), and the others take "had an outcome" from a per-row notEmpty().
 * Every count, quantile and flag is the same as with the full merge; step/system/errClass/errCode
 * are only right for failing transactions. `detail: 'atRisk'` adds the transactions that have not
 * reached their end step (so every stuck one: right for every at-risk transaction, the drill-down);
 * `detail: 'all'` merges every transaction's maps.
 */
export function transactions(flows: Flow[], w: Window, lookbackDays: number, opts: { detail?: 'atRisk' | 'all' } = {}): Sql {
	const ids = flows.map((f) => f.id);
	const ends = flows.map(endStep);
	const stuck = flows.map(stuckAfterMs);
	const lookback = new Date(w.from.getTime() - lookbackDays * 86_400_000);
	const horizon = new Date(w.to.getTime() + lookbackDays * 86_400_000);
	const inFlows = sql`Flow IN ${{ 'Array(String)': ids }}`;
	const inWindow = sql`StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND StartMinute < ${{ 'DateTime64(3)': horizon }}`;
	const failing = raw(`arrayExists(v -> v.2 IN ('failed', 'rejected'), mapValues(StepLast))`);
	// the end step seen in a row's steps: a per-row has(), not an array aggregation
	const reached = sql`has(Steps, transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(String)': ends }}, ''))`;
	const stepLast =
		opts.detail === 'all'
			? sql`maxMap(StepLast)`
			: opts.detail === 'atRisk'
				? sql`maxMapIf(StepLast, (Flow, CorrelationId) IN (
					SELECT Flow, CorrelationId FROM sla_tx_traces WHERE ${inFlows} AND ${inWindow}
					GROUP BY Flow, CorrelationId HAVING max(${failing}) OR NOT max(${reached})))`
				: sql`maxMapIf(StepLast, (Flow, CorrelationId) IN (
					SELECT Flow, CorrelationId FROM sla_tx_traces WHERE ${inFlows} AND ${inWindow} AND ${failing}))`;
	return sql`
SELECT Flow, CorrelationId, start,
	arrayExists(v -> v.2 IN ('failed', 'rejected'), mapValues(sl)) AS hasFailing,
	multiIf(hasFailing, 'failed', hasOutcome, 'success', dupSpans > 0, 'duplicate', '') AS outcome,
	-- for drill-down only (unused columns are pruned): (step, (end, outcome, system, class, code)),
	-- the latest failing step if any, else the latest step with an outcome
	arrayReverseSort(x -> (x.2.2 IN ('failed', 'rejected'), x.2.1), arrayZip(mapKeys(sl), mapValues(sl)))[1] AS t,
	t.1 AS step, t.2.3 AS system, t.2.4 AS errClass, t.2.5 AS errCode,
	if(first.2, first.1, NULL) AS firstTraceMs,
	amount, currency, partner, eventDelayMs, failedSpans, retrySpans, dupSpans,
	reached = 1 AS reachedEnd,
	outcome IN ('success', '') AND NOT reachedEnd
		AND transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(Float64)': stuck }}, 0) > 0
		AND dateDiff('millisecond', start, ${{ 'DateTime64(3)': w.now }}) > transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(Float64)': stuck }}, 0) AS stuck,
	outcome IN ('failed', 'rejected') OR stuck AS atRisk
FROM (
	SELECT Flow, CorrelationId, min(s) AS start, maxMap(tsl) AS sl, max(o) AS hasOutcome,
		-- the first trace: its duration, and whether it succeeded within it (no step ended failed, not only duplicates)
		argMin((${ms('s', 'e')}, NOT arrayExists(v -> v.2 IN ('failed', 'rejected'), mapValues(tsl)) AND (o OR td = 0)), s) AS first,
		max(reached) AS reached, max(amount) AS amount, max(currency) AS currency, max(partner) AS partner,
		${ms('min(et)', 'min(es)')} AS eventDelayMs,
		uniqExactMerge(f) AS failedSpans, uniqExactMerge(r) AS retrySpans, uniqExactMerge(d) AS dupSpans
	FROM (
		SELECT Flow, CorrelationId, TraceId, min(Start) AS s, max(End) AS e, ${stepLast} AS tsl, max(notEmpty(StepLast)) AS o,
			max(${reached}) AS reached, max(Amount) AS amount, max(Currency) AS currency, max(Partner) AS partner,
			min(EventTime) AS et, min(EventSeen) AS es,
			uniqExactMergeState(FailedSpans) AS f, uniqExactMergeState(RetrySpans) AS r, uniqExactMergeState(DuplicateSpans) AS d,
			uniqExactMerge(DuplicateSpans) AS td
		FROM sla_tx_traces
		WHERE ${inFlows} AND ${inWindow}
		GROUP BY Flow, CorrelationId, TraceId
	)
	GROUP BY Flow, CorrelationId
	HAVING start >= ${{ 'DateTime64(3)': w.from }} AND start < ${{ 'DateTime64(3)': w.to }}
		-- started before the window (within the look-back) and still active in it: not this window's
		-- (the set is built only from look-back rows whose correlation ID also occurs in the window)
		AND (Flow, CorrelationId) NOT IN (
			SELECT Flow, CorrelationId FROM sla_tx_traces
			WHERE ${inFlows} AND StartMinute >= ${{ 'DateTime64(3)': lookback }} AND StartMinute < toStartOfMinute(${{ 'DateTime64(3)': w.from }})
				AND CorrelationId IN (
					SELECT CorrelationId FROM sla_tx_traces
					WHERE ${inFlows} AND StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND StartMinute < ${{ 'DateTime64(3)': w.to }}))
)`;
}
