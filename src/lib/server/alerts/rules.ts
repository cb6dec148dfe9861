/**
 * Alert rules, derived from each flow's objectives (no separate rule config to drift from them):
 * - breach:<objective>: the objective is red over the last hour (success rate, end-to-end p95/p99,
 *   event delay, dead letters per hour, duplicate rate);
 * - burn-rate: the success-rate error budget burns faster than 14.4× in both the last hour and the
 *   last 5 minutes (the Google SRE workbook's fast-burn page: 2% of a 30-day budget in an hour);
 * - dlq-growth: more dead letters in the last 15 minutes than a quarter of the hourly objective,
 *   and more than in the 15 minutes before.
 */
import type { Flow } from '../flows/schema';
import type { RuleResult } from '../reconciliation/schemas';
import type { TxFigures } from '../sla/kpis';
import { checks } from '../sla/status';

export const BURN_RATE_THRESHOLD = 14.4;

export interface Evaluation {
	rule: string;
	kind: 'breach' | 'burn-rate' | 'dlq-growth' | 'recon-missing' | 'recon-control-total';
	flow: string;
	firing: boolean;
	value: number;
	threshold: number;
	summary: string;
}

export interface FlowWindows {
	hour: TxFigures;
	fiveMin: TxFigures;
	deadLettersHour: number;
	deadLetters15m: number;
	deadLettersPrev15m: number;
}

const burn = (t: TxFigures, target: number) => (t.total > 0 && target < 1 ? t.failed / t.total / (1 - target) : 0);

/**
 * Evaluate every rule of a flow. `thresholds` holds admin overrides (settings.ts) for the rules whose
 * threshold is not an objective: burn-rate (× the sustainable rate) and dlq-growth (dead letters per
 * 15 min); a breach rule's threshold is its objective, edited in the flow catalogue.
 */
export function evaluateFlow(flow: Flow, w: FlowWindows, thresholds: ReadonlyMap<string, number> = new Map()): Evaluation[] {
	const out: Evaluation[] = [];
	for (const c of checks(flow, { tx: w.hour, deadLetters: w.deadLettersHour, hours: 1 })) {
		// no data in the hour is not a breach: an alert that was firing resolves
		out.push({
			rule: `breach:${c.objective}`,
			kind: 'breach',
			flow: flow.id,
			firing: c.rag === 'red',
			value: c.actual ?? 0,
			threshold: c.target,
			summary: `${flow.name}: ${c.label} ${c.sense === 'min' ? 'below' : 'above'} objective over the last hour`
		});
	}
	const target = flow.objectives.successRate;
	if (target !== undefined && target < 1) {
		const long = burn(w.hour, target);
		const short = burn(w.fiveMin, target);
		const limit = thresholds.get('burn-rate') ?? BURN_RATE_THRESHOLD;
		out.push({
			rule: 'burn-rate',
			kind: 'burn-rate',
			flow: flow.id,
			firing: long > limit && short > limit,
			value: Math.min(long, short),
			threshold: limit,
			summary: `${flow.name}: error budget burning ${long.toFixed(1)}× (1 h) and ${short.toFixed(1)}× (5 min) the sustainable rate`
		});
	}
	const perHour = flow.objectives.deadLettersPerHour;
	if (perHour !== undefined) {
		const limit = thresholds.get('dlq-growth') ?? perHour / 4;
		out.push({
			rule: 'dlq-growth',
			kind: 'dlq-growth',
			flow: flow.id,
			firing: w.deadLetters15m > limit && w.deadLetters15m > w.deadLettersPrev15m,
			value: w.deadLetters15m,
			threshold: limit,
			summary: `${flow.name}: ${w.deadLetters15m} dead letters in 15 min (was ${w.deadLettersPrev15m})`
		});
	}
	return out;
}

/**
 * Reconciliation (docs/reconciliation.md), per rule with `alerts: true`, over the last 24 hours:
 * - recon-missing:<rule>: a required target misses keys past their grace period;
 * - recon-control-total:<rule>: a system's control total differs from what telemetry saw.
 */
export function evaluateReconciliation(flow: Flow, results: RuleResult[]): Evaluation[] {
	return results.flatMap((r) => {
		const missing = r.targets.filter((t) => t.required).reduce((n, t) => n + t.figures.missing, 0);
		const differ = r.controlTotals.filter((c) => !c.agrees);
		return [
			{
				rule: `recon-missing:${r.rule}`,
				kind: 'recon-missing' as const,
				flow: flow.id,
				firing: missing > 0,
				value: missing,
				threshold: 0,
				summary: `${flow.name}: ${missing} key(s) missing past grace (${r.name}, last 24 h)`
			},
			{
				rule: `recon-control-total:${r.rule}`,
				kind: 'recon-control-total' as const,
				flow: flow.id,
				firing: differ.length > 0,
				value: differ.length,
				threshold: 0,
				summary: `${flow.name}: ${differ.length} control total(s) differ from telemetry (${differ.map((c) => `${c.system} ${c.difference.count > 0 ? '+' : ''}${c.difference.count}`).join(', ') || 'none'}; ${r.name}, last 24 h)`
			}
		];
	});
}
