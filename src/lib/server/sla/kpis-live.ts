/**
 * The KPIs of txFiguresCompared and the at-risk groups of atRiskRows (kpis.ts) from the live figures
 * (live.ts): the same units, counting rules and sketches as the aggregates in ClickHouse, merged in
 * memory. Each returns null when it cannot (minutes not kept): the caller reads ClickHouse.
 */
import { sql, type Db } from '../db';
import type { Flow } from '../flows/schema';
import { atRiskRows, figures, type Out, type RiskRow, type Row, type Spark, type TxFigures } from './kpis';
import { forUnits, minutesOf, shortOf, type Live, type RiskTx, type Stored, type TxUnit } from './live';
import { starts } from './live-store';
import { addBins, quantiles } from './sketch';
import { endStep, stuckAfterMs, type Window } from './transactions';

const HOUR = 3_600_000;

/** Figures being summed from aggregate units (fromLive). */
class Acc {
	total = 0;
	succeeded = 0;
	failed = 0;
	duplicates = 0;
	replays = 0;
	stuck = 0;
	e2eN = 0;
	delayN = 0;
	e2e = new Map<number, number>();
	delay = new Map<number, number>();
	atRisk: Record<string, number> = {};

	private counts(o: Pick<TxUnit, 'total' | 'succeeded' | 'failed' | 'duplicates' | 'replays' | 'e2eN' | 'delayN'>): void {
		this.total += o.total;
		this.succeeded += o.succeeded;
		this.failed += o.failed;
		this.duplicates += o.duplicates;
		this.replays += o.replays;
		this.e2eN += o.e2eN;
		this.delayN += o.delayN;
	}

	add(u: TxUnit): void {
		this.counts(u);
		addBins(this.e2e, u.e2e);
		addBins(this.delay, u.delay);
		for (const c in u.failedAmount) this.atRisk[c] = (this.atRisk[c] ?? 0) + u.failedAmount[c];
	}

	/** Add another sum (a segment of whole hours). */
	merge(o: Acc): void {
		this.counts(o);
		for (const [k, c] of o.e2e) this.e2e.set(k, (this.e2e.get(k) ?? 0) + c);
		for (const [k, c] of o.delay) this.delay.set(k, (this.delay.get(k) ?? 0) + c);
		this.addStuck(o.stuck, o.atRisk);
	}

	addStuck(n: number, amounts: Record<string, number>): void {
		this.stuck += n;
		for (const c in amounts) this.atRisk[c] = (this.atRisk[c] ?? 0) + amounts[c];
	}

	figures(): TxFigures {
		return figures({
			...this,
			e2e: this.e2eN ? quantiles(this.e2e, [0.5, 0.95, 0.99]) : [],
			delay: this.delayN ? quantiles(this.delay, [0.5, 0.95]) : [],
			varCur: [Object.keys(this.atRisk), Object.values(this.atRisk)]
		} as unknown as Row);
	}
}

/**
 * The figures of minute-aligned windows from the live figures (live.ts): the same units, counting
 * rules and sketches as fromAggregates, merged in memory. Null when some minutes it needs are not
 * kept (the caller reads ClickHouse). Only the one minute each flow's stuck limit falls in is read
 * from ClickHouse, one transaction at a time, beside the at-risk list of the flow page.
 */
export async function fromLive(
	m: Live,
	flows: Flow[],
	w: Window,
	previous: { from: Date } | null,
	bucketSeconds: number,
	d: Db,
	series: 'full' | 'counts',
	risk: { limit: number } | null,
	out: Out
): Promise<Out | null> {
	const lo = (previous?.from ?? w.from).getTime();
	const [from, to, now] = [w.from.getTime(), w.to.getTime(), w.now.getTime()];
	const keep = (hours: number[]) => minutesOf(d, hours);
	const fullSeries = series === 'full' && bucketSeconds > 0;
	const hoursOk = !(fullSeries && bucketSeconds % 3600 !== 0);
	const bucketMs = bucketSeconds * 1000;
	const stuckFlows = flows.filter((f) => stuckAfterMs(f) > 0);
	// the minutes the limits fall in, one transaction at a time (ClickHouse) — only where the minute's
	// row says some succeeded transaction did not reach the end step
	const limitMinutes = stuckFlows
		.map((f) => ({ f, at: now - stuckAfterMs(f), n: Math.floor((now - stuckAfterMs(f)) / 60_000) }))
		.filter(({ f, at, n }) => {
			if (at % 60_000 === 0 || n * 60_000 < lo || n * 60_000 >= to) return false;
			const u = m.txMinute.of(f.id)?.get(n);
			return u !== undefined && !u.del && u.succeeded > (u.reached[endStep(f)] ?? 0);
		});
	const limitRows = limitMinutes.length ? stuckInLimitMinutes(limitMinutes.map(({ f, at }) => ({ flow: f.id, end: endStep(f), at })), lo, to, d) : Promise.resolve([]);
	const riskRows = risk ? atRiskRows(flows, w, risk.limit, d) : Promise.resolve([]);
	// giving up (minutes not kept): the reads started above still settle, unobserved failures included
	const bail = async () => {
		await Promise.allSettled([limitRows, riskRows]);
		return null;
	};

	const accs = new Map<string, { cur: Acc; prev: Acc; buckets: Map<number, Acc> }>();
	const bucketOf = (buckets: Map<number, Acc>, t: number) => {
		const b = Math.floor(t / bucketMs) * bucketMs;
		let acc = buckets.get(b);
		if (!acc) buckets.set(b, (acc = new Acc()));
		return acc;
	};
	const NONE: Record<string, number> = {};
	for (const f of flows) {
		const limit = stuckAfterMs(f) > 0 ? now - stuckAfterMs(f) : null;
		const cuts = [...(previous ? [from] : []), ...(limit !== null ? [limit] : [])];
		const a = { cur: new Acc(), prev: new Acc(), buckets: new Map<number, Acc>() };
		accs.set(f.id, a);
		const end = endStep(f);
		const unit = (acc: Acc, t: number, len: number, u: TxUnit) => {
			// stuck: the unit's succeeded transactions that did not reach the end step, once all older than the limit
			const stuck = limit !== null && t + len <= limit ? Math.max(0, u.succeeded - (u.reached[end] ?? 0)) : 0;
			acc.add(u);
			acc.addStuck(stuck, stuck > 0 ? stuckAmounts(u, end) : NONE);
		};
		// without a series, whole hours go by segment (period, older than the limit or not): a
		// segment's sum is kept while none of its hour rows changes (README.md, "Live figures")
		const segments = new Map<string, { acc: Acc; hours: [number, Stored<TxUnit>][] }>();
		const ok = await forUnits(keep, m.txHour, m.txMinute, f.id, lo, to, cuts, hoursOk, (t, len, u) => {
			const acc = t >= from ? a.cur : a.prev;
			if (!fullSeries && len === 3_600_000) {
				const seg = `${t >= from ? 1 : 0}${limit !== null && t + len <= limit ? 1 : 0}`;
				const x = segments.get(seg) ?? segments.set(seg, { acc, hours: [] }).get(seg)!;
				x.hours.push([t, u as Stored<TxUnit>]);
				return;
			}
			unit(acc, t, len, u);
			if (fullSeries && t >= from) unit(bucketOf(a.buckets, t), t, len, u);
		});
		if (!ok) return bail();
		// keyed by flow, end step, segment, first and last hour, number of hour rows and the sum of
		// their versions: a rewritten, added or removed hour row makes a new key (versions only grow)
		const segmentSums = m.sums as Map<string, Acc>;
		for (const [seg, { acc, hours }] of segments) {
			let versions = 0n;
			for (const [, u] of hours) versions += u.v;
			const key = `${f.id}\x1f${end}\x1f${seg}\x1f${hours[0][0]}\x1f${hours[hours.length - 1][0]}\x1f${hours.length}\x1f${versions}`;
			let sum = segmentSums.get(key);
			if (!sum) {
				sum = new Acc();
				for (const [t, u] of hours) unit(sum, t, 3_600_000, u);
				if (segmentSums.size >= 5000) segmentSums.clear();
				segmentSums.set(key, sum);
			}
			acc.merge(sum);
		}
	}
	const [limitTx, riskOut] = await Promise.all([limitRows, riskRows]);
	for (const r of limitTx) {
		const t = r.t * 1000;
		const a = accs.get(r.flow)!;
		(t >= from ? a.cur : a.prev).addStuck(1, { [r.currency]: r.amount });
		if (fullSeries && t >= from) bucketOf(a.buckets, t).addStuck(1, { [r.currency]: r.amount });
	}
	for (const f of flows) {
		const a = accs.get(f.id)!;
		const o = out.current.get(f.id)!;
		o.totals = a.cur.figures();
		if (previous) out.previous.get(f.id)!.totals = a.prev.figures();
		if (fullSeries) o.series = [...a.buckets.entries()].sort((x, y) => x[0] - y[0]).map(([t, acc]) => ({ t: new Date(t).toISOString(), ...acc.figures() }));
	}
	if (series === 'counts' && bucketSeconds > 0) {
		// per bucket of the window: arrays indexed by bucket
		const first = Math.floor(from / bucketMs);
		const n = Math.ceil(to / bucketMs) - first;
		for (const f of flows) {
			const spark: Spark = { first: first * bucketSeconds, step: bucketSeconds, totals: new Array(n).fill(0), failed: new Array(n).fill(0) };
			const ok = await forUnits(keep, m.txHour, m.txMinute, f.id, from, to, [], bucketSeconds % 3600 === 0, (t, _len, u) => {
				const i = Math.floor(t / bucketMs) - first;
				spark.totals[i] += u.total;
				spark.failed[i] += u.failed;
			});
			if (!ok) return bail();
			out.current.get(f.id)!.spark = spark;
		}
	}
	out.risk = riskOut;
	return out;
}

/** Amounts per currency of a unit's succeeded transactions that did not reach `end`. */
function stuckAmounts(u: TxUnit, end: string): Record<string, number> {
	const out: Record<string, number> = { ...u.succeededAmount };
	const prefix = `${end}\x1f`;
	for (const k in u.reachedAmount) {
		if (!k.startsWith(prefix)) continue;
		const c = k.slice(prefix.length);
		out[c] = (out[c] ?? 0) - u.reachedAmount[k];
	}
	return out;
}

/** Succeeded transactions of the minute a flow's stuck limit falls in, started before the limit without reaching the end step. */
async function stuckInLimitMinutes(limits: { flow: string; end: string; at: number }[], lo: number, to: number, d: Db) {
	const t = (v: number) => sql`${{ 'DateTime64(3)': new Date(v) }}`;
	const ids = sql`${{ 'Array(String)': limits.map((l) => l.flow) }}`;
	const minutes = [...new Set(limits.map((l) => Math.floor(l.at / 60_000) * 60_000))];
	const limitOf = sql`transform(Flow, ${ids}, ${{ 'Array(DateTime64(3))': limits.map((l) => new Date(l.at)) }}, toDateTime64(0, 3))`;
	const endOf = sql`transform(Flow, ${ids}, ${{ 'Array(String)': limits.map((l) => l.end) }}, '')`;
	return d.query<{ flow: string; t: number; currency: string; amount: number }>(sql`
		SELECT Flow AS flow, toUnixTimestamp(StartMinute) AS t, Currency AS currency, Amount AS amount FROM sla_transactions FINAL
		WHERE Flow IN ${ids} AND StartMinute IN ${starts(minutes)} AND StartMinute >= ${t(lo)} AND StartMinute < ${t(to)}
			AND identity(StartMinute = toStartOfMinute(${limitOf}) AND Start >= ${t(lo)} AND Start < ${t(to)}
				AND Outcome IN ('success', '') AND NOT has(Steps, ${endOf}) AND Start < ${limitOf})`);
}

/**
 * The at-risk groups from the live figures: the failed transactions the mirror keeps per minute,
 * and the stuck ones — succeeded transactions short of the end step, started before the flow's
 * limit — read only for the minutes whose aggregates show some (live.ts shortOf). Null when
 * minutes it needs are not kept.
 */
export async function riskFromLive(m: Live, flows: Flow[], w: Window, limit: number, d: Db): Promise<RiskRow[] | null> {
	const [from, to, now] = [w.from.getTime(), w.to.getTime(), w.now.getTime()];
	const groups = new Map<string, RiskRow>();
	const add = (tx: RiskTx, stuck: boolean) => {
		const failed = tx.outcome === 'failed' ? 1 : 0;
		const key = `${tx.step}\x1f${tx.system}\x1f${tx.partner}\x1f${tx.errClass}\x1f${tx.errCode}\x1f${tx.currency}\x1f${failed}`;
		let g = groups.get(key);
		if (!g) {
			const { step, system, partner, errClass, errCode, currency } = tx;
			groups.set(key, (g = { step, system, partner, errClass, errCode, currency, failed, n: 0, total: 0, top: [] }));
		}
		g.n++;
		g.total += tx.amount;
		g.top.push([tx.id, tx.outcome, new Date(tx.start).toISOString().slice(0, 19) + 'Z', stuck ? 1 : 0, tx.currency, tx.amount]);
	};
	for (const f of flows) {
		for (const [n, list] of m.failed.get(f.id) ?? []) if (n * 60_000 >= from && n * 60_000 < to) for (const tx of list) add(tx, false);
		if (stuckAfterMs(f) <= 0) continue;
		const limitAt = now - stuckAfterMs(f);
		const end = endStep(f);
		const short = (u: TxUnit) => u.succeeded > (u.reached[end] ?? 0);
		const minutes: number[] = [];
		const hours: number[] = [];
		const ok = await forUnits((h) => minutesOf(d, h), m.txHour, m.txMinute, f.id, from, to, [limitAt], true, (t, len, u) => {
			if (t < limitAt && short(u)) (len === HOUR ? hours : minutes).push(t);
		});
		if (!ok || !(await minutesOf(d, hours))) return null;
		const rows = m.txMinute.of(f.id);
		for (const h of hours)
			for (let n = (h / 60_000) | 0; n < ((h / 60_000) | 0) + 60; n++) {
				const u = rows?.get(n);
				if (u && !u.del && short(u)) minutes.push(n * 60_000);
			}
		for (const list of (await shortOf(d, f.id, end, minutes.map((t) => t / 60_000))).values())
			for (const tx of list) if (tx.start < limitAt && tx.start >= from && tx.start < to) add(tx, true);
	}
	for (const g of groups.values()) g.top = g.top.sort((a, b) => b[5] - a[5] || b[2].localeCompare(a[2])).slice(0, limit);
	// in the SQL path's order (its ORDER BY: byte order of the texts, then failed)
	const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
	return [...groups.values()].sort(
		(a, b) =>
			cmp(a.step, b.step) || cmp(a.system, b.system) || cmp(a.partner, b.partner) || cmp(a.errClass, b.errClass) || cmp(a.errCode, b.errCode) || cmp(a.currency, b.currency) || a.failed - b.failed
	);
}

