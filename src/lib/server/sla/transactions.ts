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
 * Columns: Flow, CorrelationId, start, outcome ('' = no outcome-bearing span, counts as success),
 * step/system/errClass/errCode of the last outcome, firstTraceMs (end-to-end time of the first
 * trace, null unless it succeeded), amount, currency, partner, eventDelayMs, failedSpans,
 * retrySpans, dupSpans, reachedEnd, stuck, atRisk.
 */
export function transactions(flows: Flow[], w: Window, lookbackDays: number): Sql {
	const ids = flows.map((f) => f.id);
	const ends = flows.map(endStep);
	const stuck = flows.map(stuckAfterMs);
	const lookback = new Date(w.from.getTime() - lookbackDays * 86_400_000);
	const horizon = new Date(w.to.getTime() + lookbackDays * 86_400_000);
	const inFlows = sql`Flow IN ${{ 'Array(String)': ids }}`;
	return sql`
SELECT Flow, CorrelationId, start, t.1 AS outcome, t.2 AS step, t.3 AS system, t.4 AS errClass, t.5 AS errCode,
	if(first.2 IN ('success', ''), first.1, NULL) AS firstTraceMs,
	amount, currency, partner, eventDelayMs, failedSpans, retrySpans, dupSpans,
	has(steps, transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(String)': ends }}, '')) AS reachedEnd,
	outcome IN ('success', '') AND NOT reachedEnd
		AND transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(Float64)': stuck }}, 0) > 0
		AND dateDiff('millisecond', start, ${{ 'DateTime64(3)': w.now }}) > transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(Float64)': stuck }}, 0) AS stuck,
	outcome IN ('failed', 'rejected') OR stuck AS atRisk
FROM (
	SELECT Flow, CorrelationId, min(s) AS start, argMaxMerge(last) AS t,
		argMin((${ms('s', 'e')}, finalizeAggregation(last).1), s) AS first,
		groupUniqArrayArray(steps) AS steps, max(amount) AS amount, max(currency) AS currency, max(partner) AS partner,
		${ms('min(et)', 'min(es)')} AS eventDelayMs,
		uniqExactMerge(f) AS failedSpans, uniqExactMerge(r) AS retrySpans, uniqExactMerge(d) AS dupSpans
	FROM (
		SELECT Flow, CorrelationId, TraceId, min(Start) AS s, max(End) AS e, argMaxMergeState(Last) AS last,
			groupUniqArrayArray(Steps) AS steps, max(Amount) AS amount, max(Currency) AS currency, max(Partner) AS partner,
			min(EventTime) AS et, min(EventSeen) AS es,
			uniqExactMergeState(FailedSpans) AS f, uniqExactMergeState(RetrySpans) AS r, uniqExactMergeState(DuplicateSpans) AS d
		FROM sla_tx_traces
		WHERE ${inFlows} AND StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND StartMinute < ${{ 'DateTime64(3)': horizon }}
		GROUP BY Flow, CorrelationId, TraceId
	)
	GROUP BY Flow, CorrelationId
	HAVING start >= ${{ 'DateTime64(3)': w.from }} AND start < ${{ 'DateTime64(3)': w.to }}
		-- started before the window (within the look-back) and still active in it: not this window's
		AND (Flow, CorrelationId) NOT IN (
			SELECT Flow, CorrelationId FROM sla_tx_traces
			WHERE ${inFlows} AND StartMinute >= ${{ 'DateTime64(3)': lookback }} AND StartMinute < toStartOfMinute(${{ 'DateTime64(3)': w.from }}))
)`;
}
