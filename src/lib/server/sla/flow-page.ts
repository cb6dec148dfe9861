/** Everything the flow page shows, in one call: KPIs over time, milestones, breakdowns, steps. */
import { db, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { fromRiskRows, stepTable } from './breakdowns';
import { ownE2e } from './flow-kpis';
import { txFiguresCompared } from './kpis';
import { deadLetters, milestonesFigures } from './milestones';
import type { TimeRange } from './range';
import { comparison } from './compare';
import { checks, drivers, flowRag } from './status';

export async function flowPage(flow: Flow, r: TimeRange, now = new Date(), d: Db = db()) {
	const w = { from: r.from, to: r.to, now };
	const own = ownE2e(flow);
	const [{ current: tx, previous: prev, risk: riskRows }, dl, msAll, steps] = await Promise.all([
		// KPIs, series and the at-risk drill-down in one pass over the transactions
		txFiguresCompared([flow], w, r.previous, r.bucketSeconds, d, 'full', { limit: 10 }),
		deadLetters([flow.id], w, r.bucketSeconds, d, r.previous.from),
		milestonesFigures([...flow.objectives.milestones.map((m) => ({ flow: flow.id, from: m.from, to: m.to, targetMs: m.target })), ...(own ? [own] : [])], w, r.bucketSeconds, d),
		stepTable(flow, w, d)
	]);
	const { breakdowns, atRisk } = fromRiskRows(riskRows, 10);
	const ms = msAll.slice(0, flow.objectives.milestones.length);
	const e2e = own ? msAll[msAll.length - 1] : null;
	const cur = tx.get(flow.id)!;
	if (e2e) {
		// the flow names its own start and end steps: end-to-end time comes from them
		cur.totals.e2eMs = { p50: e2e.totals.p50, p95: e2e.totals.p95, p99: e2e.totals.p99 };
		const byT = new Map(e2e.series.map((s) => [s.t, s]));
		for (const s of cur.series) {
			const m = byT.get(s.t);
			s.e2eMs = { p50: m?.p50 ?? null, p95: m?.p95 ?? null, p99: m?.p99 ?? null };
		}
	}
	const milestones = Object.fromEntries(flow.objectives.milestones.map((m, i) => [m.name, { ...ms[i], target: m.target, from: m.from, to: m.to }]));
	const hours = (r.to.getTime() - r.from.getTime()) / 3_600_000;
	const status = { tx: cur.totals, deadLetters: dl.get(flow.id)!.total, hours, milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, v.totals])) };
	const all = checks(flow, status);
	const rag = flowRag(flow, status);
	return {
		rag,
		checks: all,
		drivers: drivers(all, rag),
		compare: comparison(cur.totals.total, prev.get(flow.id)!.totals.total),
		totals: { ...cur.totals, deadLetters: dl.get(flow.id)!.total },
		previous: { ...prev.get(flow.id)!.totals, deadLetters: dl.get(flow.id)!.previous },
		series: cur.series,
		deadLetterSeries: dl.get(flow.id)!.series,
		milestones,
		breakdowns,
		steps,
		atRisk
	};
}

export type FlowPageData = Awaited<ReturnType<typeof flowPage>>;
