/**
 * The KPI document of one flow over a window: exactly the shape of
 * GET /api/v1/flows/{flow}/kpis (schemas.ts, flowKpisSchema).
 */
import { db, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { txFigures, type TxFigures } from './kpis';
import { deadLetters, milestonesFigures, type MilestoneFigures } from './milestones';
import type { FlowKpis } from './schemas';
import type { Window } from './transactions';

/** End-to-end time measured between the flow's own start and end steps, when it names them. */
export function ownE2e(flow: Flow) {
	const { startStep, endStep } = flow.objectives;
	if (!startStep || !endStep) return null;
	return { flow: flow.id, from: startStep, to: endStep, targetMs: flow.objectives.e2eP99 ?? flow.objectives.e2eP95 ?? 0, requireToSucceeded: true };
}

export async function flowKpis(flow: Flow, w: Window, d: Db = db()): Promise<FlowKpis> {
	const own = ownE2e(flow);
	const specs = [...flow.objectives.milestones.map((m) => ({ flow: flow.id, from: m.from, to: m.to, targetMs: m.target })), ...(own ? [own] : [])];
	const [tx, dl, msAll] = await Promise.all([txFigures([flow], w, 0, d), deadLetters([flow.id], w, 0, d), milestonesFigures(specs, w, 0, d)]);
	const ms = msAll.slice(0, flow.objectives.milestones.length);
	const e2e = own ? msAll[msAll.length - 1] : null;
	const t: TxFigures = tx.get(flow.id)!.totals;
	const milestones: Record<string, { n: number; pending: number; p50: number | null; p95: number | null }> = {};
	flow.objectives.milestones.forEach((m, i) => {
		const f: MilestoneFigures = ms[i].totals;
		milestones[m.name] = { n: f.n, pending: f.pending, p50: f.p50, p95: f.p95 };
	});
	return {
		flow: flow.id,
		total: t.total,
		succeeded: t.succeeded,
		failed: t.failed,
		duplicates: t.duplicates,
		deadLetters: dl.get(flow.id)!.total,
		replays: t.replays,
		successRate: t.successRate,
		e2eMs: e2e ? { p50: e2e.totals.p50, p95: e2e.totals.p95, p99: e2e.totals.p99 } : t.e2eMs,
		milestones,
		eventDelayMs: t.eventDelayMs,
		valueAtRisk: t.valueAtRisk,
		valueAtRiskByCurrency: t.valueAtRiskByCurrency
	};
}
