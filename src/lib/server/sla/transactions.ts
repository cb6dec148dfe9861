/**
 * The transactions of some flows that started in a window, one row each, read from the
 * sla_tx_traces rollup (never from raw spans). Every KPI query wraps this subquery, so every
 * figure follows the same counting rules (see README.md in this folder).
 */
import type { Flow } from '../flows/schema';
import { sql, type Sql } from '../db';

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

/**
 * Columns: Flow, CorrelationId, start, outcome ('failed' when a step's last outcome failed or was
 * rejected, 'success' when some step succeeded, 'duplicate' when only blocked duplicates were seen,
 * '' when nothing carried an outcome: counted as succeeded), step/system/errClass/errCode of the
 * failing step (else of the last step with an outcome), firstTraceMs (end-to-end time of the first
 * trace, null unless no step of that trace ended failed), amount, currency, partner, eventDelayMs,
 * failedSpans, retrySpans, dupSpans, reachedEnd, stuck, atRisk.
 *
 * Read from sla_transactions, where the fold (fold.ts) keeps every transaction finalised; callers
 * run ensureFolded() first. What depends on the catalogue (the end step, how long until stuck) or
 * on "now" is computed here, so a catalogue edit applies at once.
 */
export function transactions(flows: Flow[], w: Window): Sql {
	const ids = flows.map((f) => f.id);
	const ends = flows.map(endStep);
	const stuck = flows.map(stuckAfterMs);
	const stuckMs = sql`transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(Float64)': stuck }}, 0)`;
	return sql`
SELECT Flow, CorrelationId, Start AS start, Outcome AS outcome, Step AS step, System AS system, ErrClass AS errClass, ErrCode AS errCode,
	FirstTraceMs AS firstTraceMs, Amount AS amount, Currency AS currency, Partner AS partner, EventDelayMs AS eventDelayMs,
	FailedSpans AS failedSpans, RetrySpans AS retrySpans, DupSpans AS dupSpans,
	has(Steps, transform(Flow, ${{ 'Array(String)': ids }}, ${{ 'Array(String)': ends }}, '')) AS reachedEnd,
	outcome IN ('success', '') AND NOT reachedEnd AND ${stuckMs} > 0
		AND dateDiff('millisecond', start, ${{ 'DateTime64(3)': w.now }}) > ${stuckMs} AS stuck,
	outcome = 'failed' OR stuck AS atRisk
FROM sla_transactions FINAL
WHERE Flow IN ${{ 'Array(String)': ids }}
	AND StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND StartMinute < ${{ 'DateTime64(3)': w.to }}
	AND Start >= ${{ 'DateTime64(3)': w.from }} AND Start < ${{ 'DateTime64(3)': w.to }}`;
}
