/**
 * The executive overview: one tile per flow with its RAG status against its objectives, a success
 * series for the sparkline, money at risk, and the previous period's headline for comparison.
 */
import { db, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { txFiguresCompared, type Spark, type TxFigures } from './kpis';
import { deadLetters, milestonesFigures, type MilestoneFigures } from './milestones';
import type { TimeRange } from './range';
import { comparison, type Comparison } from './compare';
import { checks, drivers, flowRag, type Check, type Rag } from './status';

export interface Tile {
	flow: { id: string; name: string; businessOwner: string };
	rag: Rag;
	checks: Check[];
	/** the checks that make the status what it is (breached, or near their limit) */
	drivers: Check[];
	/** whether changes vs the previous period may be shown */
	compare: Comparison;
	now: TxFigures & { deadLetters: number };
	previous: TxFigures & { deadLetters: number };
	/** per bucket: [bucket start ISO, transactions, failed] */
	series: [string, number, number][];
}

export async function overview(flows: Flow[], r: TimeRange, now = new Date(), d: Db = db()): Promise<Tile[]> {
	const ids = flows.map((f) => f.id);
	const w = { from: r.from, to: r.to, now };
	const [{ current: cur, previous: prev }, dl, ms] = await Promise.all([
		txFiguresCompared(flows, w, r.previous, r.bucketSeconds, d, 'counts'),
		deadLetters(ids, w, 0, d, r.previous.from),
		milestonesOf(flows, w, d)
	]);
	const hours = (r.to.getTime() - r.from.getTime()) / 3_600_000;
	const buckets = bucketStarts(r);
	return flows.map((f) => {
		const c = cur.get(f.id)!;
		const status = { tx: c.totals, deadLetters: dl.get(f.id)!.total, hours, milestones: ms.get(f.id) };
		const all = checks(f, status);
		const rag = flowRag(f, status);
		return {
			flow: { id: f.id, name: f.name, businessOwner: f.businessOwner },
			rag,
			checks: all,
			drivers: drivers(all, rag),
			compare: comparison(c.totals.total, prev.get(f.id)!.totals.total),
			now: { ...c.totals, deadLetters: dl.get(f.id)!.total },
			previous: { ...prev.get(f.id)!.totals, deadLetters: dl.get(f.id)!.previous },
			series: sparkline(c.spark, buckets)
		};
	});
}

/** Milestone totals per flow (name → figures), all flows' milestones in one query. */
export async function milestonesOf(flows: Flow[], w: { from: Date; to: Date; now: Date }, d: Db = db()) {
	const specs = flows.flatMap((f) => f.objectives.milestones.map((m) => ({ flow: f.id, name: m.name, from: m.from, to: m.to, targetMs: m.target })));
	const results = await milestonesFigures(specs, w, 0, d);
	const out = new Map<string, Record<string, MilestoneFigures>>();
	specs.forEach((m, i) => {
		const rec = out.get(m.flow) ?? {};
		rec[m.name] = results[i].totals;
		out.set(m.flow, rec);
	});
	return out;
}

/** The start of every bucket of the range, ISO (the same text as the series' t). */
function bucketStarts(r: TimeRange): string[] {
	const step = r.bucketSeconds * 1000;
	const out: string[] = [];
	for (let t = Math.floor(r.from.getTime() / step) * step; t < r.to.getTime(); t += step) out.push(new Date(t).toISOString());
	return out;
}

/**
 * Every bucket of the range, zero where nothing started, so a sparkline shows quiet periods as
 * quiet (the spark covers the range's buckets from the first, as bucketStarts).
 */
function sparkline(spark: Spark | undefined, buckets: string[]): [string, number, number][] {
	const out: [string, number, number][] = new Array(buckets.length);
	for (let i = 0; i < buckets.length; i++) out[i] = [buckets[i], spark?.totals[i] ?? 0, spark?.failed[i] ?? 0];
	return out;
}
