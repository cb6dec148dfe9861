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
import type { TxFigures } from '../sla/kpis';
import { checks } from '../sla/status';

export const BURN_RATE_THRESHOLD = 14.4;

export interface Evaluation {
	rule: string;
	kind: 'breach' | 'burn-rate' | 'dlq-growth';
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

export function evaluateFlow(flow: Flow, w: FlowWindows): Evaluation[] {
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
		out.push({
			rule: 'burn-rate',
			kind: 'burn-rate',
			flow: flow.id,
			firing: long > BURN_RATE_THRESHOLD && short > BURN_RATE_THRESHOLD,
			value: Math.min(long, short),
			threshold: BURN_RATE_THRESHOLD,
			summary: `${flow.name}: error budget burning ${long.toFixed(1)}× (1 h) and ${short.toFixed(1)}× (5 min) the sustainable rate`
		});
	}
	const perHour = flow.objectives.deadLettersPerHour;
	if (perHour !== undefined) {
		const limit = perHour / 4;
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
