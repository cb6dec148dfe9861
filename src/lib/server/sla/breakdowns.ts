/**
 * Drill-down figures for one flow: failed transactions by step, system, partner and error code
 * (from the transaction rollup), and per-step volume, failures and span-duration quantiles (from
 * the per-minute step rollup).
 */
import { db, raw, sql, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { ensureFolded } from './fold';
import { atRiskRows, minuteRanges, type RiskRow } from './kpis';
import { blockMinutesOf, forUnits, live, type Live } from './live';
import { addBins, quantiles } from './sketch';
import type { Window } from './transactions';

export interface Slice {
	key: string;
	failed: number;
	/** summed as reported; amounts per currency in `amounts` */
	amount: number;
	amounts: Record<string, number>;
	/** for error-code slices: the step the code was raised at (for the exceptions link) */
	step?: string;
}

export interface Breakdowns {
	step: Slice[];
	system: Slice[];
	partner: Slice[];
	errorCode: Slice[];
}

/**
 * One pass over the transactions at risk (failed or stuck): failures grouped by step, system,
 * partner and error code, and the largest at-risk transactions (for lineage links).
 */
export async function riskFigures(flow: Flow, w: Window, limit = 10, d: Db = db()): Promise<{ breakdowns: Breakdowns; atRisk: AtRiskTx[] }> {
	await ensureFolded(d);
	const rows = await atRiskRows([flow], w, limit, d);
	return fromRiskRows(rows, limit);
}

/** Breakdowns and the largest at-risk transactions from grouped at-risk rows (also txFiguresCompared's). */
export function fromRiskRows(rows: RiskRow[], limit: number): { breakdowns: Breakdowns; atRisk: AtRiskTx[] } {
	const failed = rows.filter((r) => r.failed);
	const by = (key: (r: RiskRow) => string, withStep = false): Slice[] => {
		const m = new Map<string, Slice>();
		for (const r of failed) {
			const k = key(r) || '(none)';
			const s = m.get(k) ?? { key: k, failed: 0, amount: 0, amounts: {}, ...(withStep ? { step: r.step } : {}) };
			s.failed += r.n;
			s.amount += r.total;
			s.amounts[r.currency] = (s.amounts[r.currency] ?? 0) + r.total;
			m.set(k, s);
		}
		// money in cents (sums of many amounts), and ties in a stable order
		for (const s of m.values()) {
			s.amount = Math.round(s.amount * 100) / 100;
			for (const c in s.amounts) s.amounts[c] = Math.round(s.amounts[c] * 100) / 100;
		}
		return [...m.values()].sort((a, b) => b.failed - a.failed || a.key.localeCompare(b.key));
	};
	const atRisk = rows
		.flatMap((r) => r.top.map(([correlationId, outcome, start, stuck, currency, amount]) => ({ correlationId, outcome, step: r.step, errCode: r.errCode, amount, currency, start, stuck: stuck === 1 })))
		.sort((a, b) => b.amount - a.amount || b.start.localeCompare(a.start))
		.slice(0, limit);
	return {
		breakdowns: { step: by((r) => r.step), system: by((r) => r.system), partner: by((r) => r.partner), errorCode: by((r) => r.errCode || r.errClass, true) },
		atRisk
	};
}

/** Failed transactions (last outcome failed) grouped four ways. */
export async function failureBreakdowns(flow: Flow, w: Window, d: Db = db()): Promise<Breakdowns> {
	return (await riskFigures(flow, w, 0, d)).breakdowns;
}

export interface StepRow {
	step: string;
	spans: number;
	failedSpans: number;
	p50: number | null;
	p95: number | null;
	p99: number | null;
}

/** Per step: distinct spans, failed spans and span duration quantiles (quantilesDD, 1%). */
export async function stepTable(flow: Flow, w: Window, d: Db = db()): Promise<StepRow[]> {
	const m = live(d);
	const fromMemory = m && w.from.getTime() % 60_000 === 0 && w.to.getTime() % 60_000 === 0 ? await stepsFromLive(m, flow, w, d) : null;
	if (fromMemory) return fromMemory;
	// whole hours from sla_step_hour (migration 340), the minutes of the partial hours at the edges
	const from = sql`${{ 'DateTime64(3)': w.from }}`;
	const to = sql`${{ 'DateTime64(3)': w.to }}`;
	const aligned = w.from.getTime() % 60_000 === 0 && w.to.getTime() % 60_000 === 0;
	const whole = (h: string) => sql`${raw(h)} >= ${from} AND ${raw(h)} + 3600 <= ${to}`;
	const flowId = sql`${{ String: flow.id }}`;
	const rows = await d.query<{ Step: string; spans: number; failed: number; q: number[] }>(sql`
		SELECT Step, uniqExactMerge(Spans) AS spans, uniqExactMerge(FailedSpans) AS failed,
			quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(DurationMs) AS q
		FROM (
			SELECT Step, Spans, FailedSpans, DurationMs FROM sla_step_hour WHERE ${aligned ? sql`1` : sql`0`} AND Flow = ${flowId} AND Hour >= ${from} AND Hour < ${to} AND identity(${whole('Hour')})
			UNION ALL
			SELECT Step, Spans, FailedSpans, DurationMs FROM sla_step_minute
			WHERE Flow = ${flowId} AND Minute >= toStartOfMinute(${from}) AND Minute < ${to} AND (${aligned ? minuteRanges(w.from, w.to, [], true) : sql`1`}) AND identity(NOT (${aligned ? sql`1` : sql`0`} AND ${whole('toStartOfHour(Minute)')}))
		)
		GROUP BY Step`);
	return stepRows(flow, rows);
}

/** In the catalogue's step order, then the steps it does not name (as they came). */
function stepRows(flow: Flow, rows: { Step: string; spans: number; failed: number; q: number[] }[]): StepRow[] {
	const byStep = new Map(rows.map((r) => [r.Step, r]));
	const order = [...flow.steps.map((s) => s.id), ...rows.map((r) => r.Step).filter((s) => !flow.steps.some((x) => x.id === s))];
	return order.map((step) => {
		const r = byStep.get(step);
		const q = (v: number | undefined) => (r && r.spans > 0 && v !== undefined && Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
		return { step, spans: r?.spans ?? 0, failedSpans: r?.failed ?? 0, p50: q(r?.q[0]), p95: q(r?.q[1]), p99: q(r?.q[2]) };
	});
}

/** The step table from the live figures (whole hours, the minutes of the edge hours); null if they cannot. */
async function stepsFromLive(m: Live, flow: Flow, w: Window, d: Db): Promise<StepRow[] | null> {
	const [from, to] = [w.from.getTime(), w.to.getTime()];
	const rows: { Step: string; spans: number; failed: number; q: number[] }[] = [];
	const prefix = `${flow.id}\x1f`;
	const steps = [...m.stepMirror.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
	for (const step of steps.sort()) {
		const r = { Step: step, spans: 0, failed: 0, q: [] as number[] };
		const bins = new Map<number, number>();
		const ok = await forUnits((h) => blockMinutesOf(d, h, 'steps'), m.stepMirror.hour, m.stepMirror.minute, `${prefix}${step}`, from, to, [], true, (_t, _len, u) => {
			r.spans += u.spans;
			r.failed += u.failed;
			addBins(bins, u.bins);
		});
		if (!ok) return null;
		if (r.spans === 0 && bins.size === 0) continue;
		r.q = quantiles(bins, [0.5, 0.95, 0.99]);
		rows.push(r);
	}
	return stepRows(flow, rows);
}

export interface AtRiskTx {
	correlationId: string;
	outcome: string;
	step: string;
	errCode: string;
	amount: number;
	currency: string;
	start: string;
	stuck: boolean;
}
