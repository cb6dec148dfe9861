/**
 * The executive overview: one tile per flow with its RAG status against its objectives, a success
 * series for the sparkline, money at risk, and the previous period's headline for comparison.
 */
import { db, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { txFigures, type TxFigures } from './kpis';
import { deadLetters, milestoneFigures, type MilestoneFigures } from './milestones';
import type { TimeRange } from './range';
import { checks, flowRag, type Check, type Rag } from './status';

export interface Tile {
	flow: { id: string; name: string; businessOwner: string };
	rag: Rag;
	checks: Check[];
	now: TxFigures & { deadLetters: number };
	previous: TxFigures & { deadLetters: number };
	/** per bucket: [bucket start ISO, transactions, failed] */
	series: [string, number, number][];
}

export async function overview(flows: Flow[], r: TimeRange, now = new Date(), d: Db = db()): Promise<Tile[]> {
	const ids = flows.map((f) => f.id);
	const w = { from: r.from, to: r.to, now };
	const prevW = { ...r.previous, now };
	const [cur, prev, dl, prevDl, ms] = await Promise.all([
		txFigures(flows, w, r.bucketSeconds, d),
		txFigures(flows, prevW, 0, d),
		deadLetters(ids, w, 0, d),
		deadLetters(ids, prevW, 0, d),
		milestonesOf(flows, w, d)
	]);
	const hours = (r.to.getTime() - r.from.getTime()) / 3_600_000;
	return flows.map((f) => {
		const c = cur.get(f.id)!;
		const status = { tx: c.totals, deadLetters: dl.get(f.id)!.total, hours, milestones: ms.get(f.id) };
		return {
			flow: { id: f.id, name: f.name, businessOwner: f.businessOwner },
			rag: flowRag(f, status),
			checks: checks(f, status),
			now: { ...c.totals, deadLetters: dl.get(f.id)!.total },
			previous: { ...prev.get(f.id)!.totals, deadLetters: prevDl.get(f.id)!.total },
			series: c.series.map((s) => [s.t, s.total, s.failed] as [string, number, number])
		};
	});
}

/** Milestone totals per flow (name → figures). */
export async function milestonesOf(flows: Flow[], w: { from: Date; to: Date; now: Date }, d: Db = db()) {
	const out = new Map<string, Record<string, MilestoneFigures>>();
	const jobs = flows.flatMap((f) =>
		f.objectives.milestones.map(async (m) => {
			const r = await milestoneFigures({ flow: f.id, from: m.from, to: m.to, targetMs: m.target }, w, 0, d);
			const rec = out.get(f.id) ?? {};
			rec[m.name] = r.totals;
			out.set(f.id, rec);
		})
	);
	await Promise.all(jobs);
	return out;
}
