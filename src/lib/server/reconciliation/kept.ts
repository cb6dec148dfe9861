/**
 * Results of settled windows, kept (recon_results, migration 401) instead of recomputed per view.
 *
 * A window is settled for a rule once its largest grace period has passed after the window's end:
 * no key of it can be pending, so its figures depend on its points alone, and a day of a million keys
 * takes a second to reconcile. The page query's rows are stored with a fingerprint of the points
 * they were computed from; a reader takes them while the points' fingerprint is the same, and
 * otherwise computes them live (the one query, stateCounts), serves and stores them. Open windows
 * are always live. docs/reconciliation.md, "Kept results".
 */
import { createHash } from 'node:crypto';
import { db, sql, type Db } from '../db';
import type { Flow, ReconRule } from '../flows/schema';
import { maxGrace, readRange, stateCounts, stateCountsSql, type StateCount, type Window } from './queries';
import { BUCKET_SECONDS, DAY, HOUR, STATES, type KeyState } from './schemas';

/** Settled: nothing of the window depends on "now" any more (no key can still be pending). */
export const settled = (rule: ReconRule, w: Window) => w.now.getTime() >= w.to.getTime() + maxGrace(rule);

/**
 * A hash of the rule's query as the code renders it: an edited rule, or a changed formula in
 * queries.ts, hashes differently, so no result of the old definition is read. sql.ts numbers
 * parameters per render; they are renamed by their order first.
 */
export function definitionHash(flow: string, rule: ReconRule): string {
	const epoch = new Date(0);
	const q = stateCountsSql(flow, rule, { from: epoch, to: epoch, now: epoch }, 0);
	const names = new Map<string, string>();
	const text = q.text.replace(/\{(\w+):/g, (_m, n: string) => {
		if (!names.has(n)) names.set(n, `q${names.size}`);
		return `{${names.get(n)}:`;
	});
	return createHash('sha256')
		// the query returns states as positions in STATES: the names are kept, so their order counts too
		.update(JSON.stringify([text, [...names.keys()].map((n) => q.params[n]), STATES]))
		.digest('hex')
		.slice(0, 32);
}

/**
 * The fingerprint of the points a rule reads for a window: per UTC day of the read range, how many
 * points and the newest block number. An insert raises a day's newest number (block numbers only
 * grow, per partition), a delete lowers its count (lightweight deletes hide rows from count(); the
 * re-interpret job drops the day's partition and inserts it again, with new numbers).
 */
export async function pointsFingerprint(flow: string, rule: ReconRule, w: Window, d: Db = db()): Promise<string> {
	const [r] = await d.query<{ fp: string }>(sql`
		SELECT toString(arraySort(groupArray((day, n, top)))) AS fp
		FROM (SELECT toDate(Timestamp) AS day, count() AS n, max(_block_number) AS top FROM recon_points WHERE ${readRange(flow, rule, w)} GROUP BY day)`);
	return r?.fp ?? '[]';
}

interface Kept {
	Points: string;
	Targets: number[];
	States: string[];
	Buckets: number[];
	N: number[];
	Late: number[];
}

const dt = (t: Date) => t.toISOString().replace('T', ' ').slice(0, 23);

const keyOf = (flow: string, rule: ReconRule, hash: string, w: Window, bucketSeconds: number) => sql`
	Flow = ${{ String: flow }} AND RuleId = ${{ String: rule.id }} AND DefinitionHash = ${{ String: hash }}
	AND WindowFrom = ${{ 'DateTime64(3)': w.from }} AND WindowTo = ${{ 'DateTime64(3)': w.to }} AND BucketSeconds = ${{ UInt32: bucketSeconds }}`;

/** What was computed, and how: for tests and the benchmark (a kept result is served without `computed`). */
export const keptStats = { computed: 0, served: 0 };

/** Computations under way per result and fingerprint: a page and the background fold share one. */
const running = new Map<string, Promise<StateCount[]>>();

/**
 * The page query's rows (stateCounts): for a settled window the kept ones while its points are
 * unchanged, else computed now (and kept when the window is settled).
 */
export async function keptStateCounts(flow: string, rule: ReconRule, w: Window, bucketSeconds: number, d: Db = db()): Promise<StateCount[]> {
	if (!settled(rule, w)) return stateCounts(flow, rule, w, bucketSeconds, d);
	const hash = definitionHash(flow, rule);
	// the fingerprint is read before any computation: a point committed meanwhile leaves the kept
	// row stale (recomputed on the next read), never wrong
	const [points, [kept]] = await Promise.all([
		pointsFingerprint(flow, rule, w, d),
		d.query<Kept>(sql`SELECT Points, Targets, States, Buckets, N, Late FROM recon_results WHERE ${keyOf(flow, rule, hash, w, bucketSeconds)} ORDER BY ComputedAt DESC LIMIT 1`)
	]);
	if (kept && kept.Points === points) {
		keptStats.served++;
		return kept.Targets.map((t, j) => ({ target: Number(t), state: kept.States[j] as KeyState, bucket: Number(kept.Buckets[j]), n: Number(kept.N[j]), late: Number(kept.Late[j]) }));
	}
	const id = JSON.stringify([flow, rule.id, hash, w.from, w.to, bucketSeconds, points]);
	let p = running.get(id);
	if (!p) {
		p = compute(flow, rule, w, bucketSeconds, hash, points, d).finally(() => running.delete(id));
		running.set(id, p);
	}
	return p;
}

async function compute(flow: string, rule: ReconRule, w: Window, bucketSeconds: number, hash: string, points: string, d: Db): Promise<StateCount[]> {
	keptStats.computed++;
	const counts = await stateCounts(flow, rule, w, bucketSeconds, d);
	await d.insertRows('recon_results', [
		{
			Flow: flow,
			RuleId: rule.id,
			DefinitionHash: hash,
			WindowFrom: dt(w.from),
			WindowTo: dt(w.to),
			BucketSeconds: bucketSeconds,
			Points: points,
			Targets: counts.map((c) => c.target),
			States: counts.map((c) => c.state),
			Buckets: counts.map((c) => c.bucket),
			N: counts.map((c) => c.n),
			Late: counts.map((c) => c.late),
			ComputedAt: dt(new Date())
		}
	]);
	return counts;
}

/** How far back the background fold keeps results: settled UTC days and hours (the page's windows). */
const KEEP = { day: 2, hour: 6 } as const;

/**
 * Keep the results of recent settled windows of every rule (the last KEEP.day days, the last KEEP.hour
 * hours), so the morning's first view of yesterday is served kept. A window already kept with the
 * same points costs one fingerprint. Returns how many results were computed (meanwhile, with any a page
 * view computed).
 */
export async function keepSettled(flows: Flow[], now: Date, d: Db = db()): Promise<number> {
	const before = keptStats.computed;
	for (const flow of flows) {
		for (const rule of flow.reconciliation) {
			for (const [window, len] of [['day', DAY], ['hour', HOUR]] as const) {
				const open = Math.floor(now.getTime() / len) * len;
				// the newest windows first: older ones settled earlier and were likely kept already
				for (let k = 1, found = 0; found < KEEP[window] && k <= KEEP[window] + Math.ceil(maxGrace(rule) / len); k++) {
					const w = { from: new Date(open - k * len), to: new Date(open - (k - 1) * len), now };
					if (!settled(rule, w)) continue;
					found++;
					await keptStateCounts(flow.id, rule, w, BUCKET_SECONDS[window], d);
				}
			}
		}
	}
	return keptStats.computed - before;
}

/**
 * Run keepSettled every intervalMs in the background (beside the SLA fold, in `syncscope start` and
 * the scheduling console). Returns a stop function that waits for a running round.
 */
export function startKeepingResults(d: Db, flows: () => Flow[], log: (msg: string) => void = () => {}, intervalMs = 5 * 60_000): () => Promise<void> {
	let stopped = false;
	let timer: NodeJS.Timeout | null = null;
	let round: Promise<void> | null = null;
	const loop = () => {
		round = keepSettled(flows(), new Date(), d).then(
			(n) => void (n && log(`reconciliation: ${n} settled results kept`)),
			(e: Error) => log(`reconciliation: keeping settled results failed: ${e.message}`)
		);
		void round.then(() => {
			if (!stopped) timer = setTimeout(loop, intervalMs);
		});
	};
	// the first round after start-up has settled (migrations, the SLA fold's first run)
	timer = setTimeout(loop, Math.min(intervalMs, 30_000));
	return async () => {
		stopped = true;
		if (timer) clearTimeout(timer);
		await round;
	};
}
