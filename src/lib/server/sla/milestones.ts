/**
 * Milestones: latency between two steps of one correlation ID, in any traces (e.g. a PO sent to a
 * supplier and its EDI 855 acknowledgement hours later), kept per transaction by the fold. A
 * milestone belongs to the window its transaction started in; it is pending while the "to" step has
 * not happened, and counted in `pending` once it has waited longer than its target.
 */
import { db, raw, sql, type Db } from '../db';
import { specOf } from './aggregates';
import { ensureFolded, milestonesReady } from './fold';
import { minuteRanges, toIso } from './kpis';
import { blockMinutesOf, forUnits, live, minutesOf, type Live, type MilestoneUnit } from './live';
import { addBins, quantiles } from './sketch';
import type { Window } from './transactions';

export interface MilestoneFigures {
	n: number;
	pending: number;
	p50: number | null;
	p95: number | null;
	p99: number | null;
}

export interface MilestoneSpec {
	flow: string;
	from: string;
	to: string;
	/** pending past this many ms counts in `pending` */
	targetMs: number;
	/** only count arrivals at `to` whose step did not fail (end-to-end with a flow's own end step) */
	requireToSucceeded?: boolean;
}

interface Row {
	mi: number;
	b: string;
	g: number;
	n: number;
	pending: number;
	q: number[];
}

export interface MilestoneResult {
	totals: MilestoneFigures;
	series: (MilestoneFigures & { t: string })[];
}

const EMPTY_MILESTONE: MilestoneFigures = { n: 0, pending: 0, p50: null, p95: null, p99: null };

/** Figures for one milestone over the window, plus a series by bucket of the "from" step start. */
export async function milestoneFigures(m: MilestoneSpec, w: Window, bucketSeconds = 0, d: Db = db()): Promise<MilestoneResult> {
	return (await milestonesFigures([m], w, bucketSeconds, d))[0];
}

/**
 * Several milestones (of any flows) in one call. A milestone belongs to the window its transaction
 * started in, like every other figure of the flow (README.md). For minute-aligned windows whose
 * milestones have aggregates (migration 340, kept by the fold), they are merged from whole hours and
 * the minutes of the edge hours; otherwise, and when the "pending" threshold falls among a unit's
 * waiting milestones, transactions are read one by one (and the fold is asked to build the missing
 * aggregates).
 */
export async function milestonesFigures(specs: MilestoneSpec[], w: Window, bucketSeconds = 0, d: Db = db()): Promise<MilestoneResult[]> {
	const out: MilestoneResult[] = specs.map(() => ({ totals: { ...EMPTY_MILESTONE }, series: [] }));
	if (specs.length === 0) return out;
	await ensureFolded(d);
	const aligned = w.from.getTime() % 60_000 === 0 && w.to.getTime() % 60_000 === 0 && bucketSeconds % 60 === 0;
	if (milestonesReady(d, specs) && aligned) {
		const mirror = live(d);
		const rows = (mirror && (await fromLive(mirror, specs, w, bucketSeconds, d))) || (await fromAggregates(specs, w, bucketSeconds, d));
		if (rows) return collect(out, rows, bucketSeconds);
	}
	return collect(out, await oneByOne(specs, w, bucketSeconds, d), bucketSeconds);
}

function collect(out: MilestoneResult[], rows: Row[], bucketSeconds: number): MilestoneResult[] {
	const conv = (r: Row): MilestoneFigures => {
		const q = (v: number | undefined) => (r.n > 0 && v !== undefined && Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null);
		return { n: r.n, pending: r.pending, p50: q(r.q[0]), p95: q(r.q[1]), p99: q(r.q[2]) };
	};
	for (const r of rows) {
		const o = out[r.mi - 1];
		if (!o) continue;
		// standard GROUPING(): 1 on the per-milestone total row, 0 on bucket rows
		if (bucketSeconds > 0 && r.g === 0) o.series.push({ t: toIso(r.b), ...conv(r) });
		else o.totals = conv(r);
	}
	return out;
}

const grouped = (bucketSeconds: number, col: string) =>
	bucketSeconds > 0
		? { b: sql`toStartOfInterval(${raw(col)}, toIntervalSecond(${{ UInt32: bucketSeconds }})) AS b, grouping(b) AS g`, by: raw('GROUPING SETS ((mi), (mi, b))') }
		: { b: raw(`'' AS b, 1 AS g`), by: raw('mi') };

/** From sla_milestone_hour / _minute; null when some unit's waiting milestones straddle the pending threshold. */
async function fromAggregates(specs: MilestoneSpec[], w: Window, bucketSeconds: number, d: Db): Promise<Row[] | null> {
	const positions: Record<string, number[]> = {};
	specs.forEach((m, i) => (positions[`${m.flow}\x1f${specOf(m)}`] ??= []).push(i + 1));
	const t = (v: Date) => sql`${{ 'DateTime64(3)': v }}`;
	const flows = sql`${{ 'Array(String)': [...new Set(specs.map((m) => m.flow))] }}`;
	const specSet = sql`${{ 'Array(String)': [...new Set(specs.map(specOf))] }}`;
	const hoursOk = bucketSeconds === 0 || bucketSeconds % 3600 === 0;
	const whole = (h: string) => sql`${raw(h)} >= ${t(w.from)} AND ${raw(h)} + 3600 <= ${t(w.to)}`;
	const threshold = sql`subtractMilliseconds(${t(w.now)}, toInt64(${{ 'Array(Float64)': specs.map((m) => m.targetMs) }}[mi]))`;
	const { b, by } = grouped(bucketSeconds, 'T');
	const rows = await d.query<Row & { straddling: number }>(sql`
		SELECT mi, ${b}, sum(N) AS n, quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(Lat) AS q,
			sum(if(Waiting > 0 AND WaitMax < ${threshold}, Waiting, 0)) AS pending,
			countIf(Waiting > 0 AND WaitMin < ${threshold} AND WaitMax >= ${threshold}) AS straddling
		FROM (
			SELECT Flow, Spec, Hour AS T, N, Lat, Waiting, WaitMin, WaitMax FROM sla_milestone_hour FINAL
			WHERE ${hoursOk ? sql`1` : sql`0`} AND Flow IN ${flows} AND Spec IN ${specSet} AND Hour >= ${t(w.from)} AND Hour < ${t(w.to)} AND identity(${whole('Hour')})
			UNION ALL
			SELECT Flow, Spec, Minute AS T, N, Lat, Waiting, WaitMin, WaitMax FROM sla_milestone_minute FINAL
			WHERE Flow IN ${flows} AND Spec IN ${specSet} AND (${minuteRanges(w.from, w.to, [], hoursOk)})
				AND identity(NOT (${hoursOk ? sql`1` : sql`0`} AND ${whole('toStartOfHour(Minute)')}))
		)
		ARRAY JOIN ${{ 'Map(String, Array(UInt32))': positions }}[concat(Flow, '\x1F', Spec)] AS mi
		GROUP BY ${by} ORDER BY mi, b`);
	return rows.some((r) => r.straddling > 0) ? null : rows;
}

/**
 * From the live figures (live.ts): the units fromAggregates reads, merged in memory; null when it
 * cannot (minutes not kept, or some unit's waiting milestones straddle the pending threshold).
 */
async function fromLive(m: Live, specs: MilestoneSpec[], w: Window, bucketSeconds: number, d: Db): Promise<Row[] | null> {
	const hoursOk = bucketSeconds === 0 || bucketSeconds % 3600 === 0;
	const [from, to, now] = [w.from.getTime(), w.to.getTime(), w.now.getTime()];
	const bucketMs = bucketSeconds * 1000;
	const rows: Row[] = [];
	for (const [i, spec] of specs.entries()) {
		const limit = now - spec.targetMs;
		type Sum = { n: number; pending: number; bins: Map<number, number> };
		const total: Sum = { n: 0, pending: 0, bins: new Map() };
		const buckets = new Map<number, Sum>();
		let straddling = false;
		const add = (sum: Sum, u: MilestoneUnit) => {
			sum.n += u.n;
			if (u.waiting > 0 && u.waitMax < limit) sum.pending += u.waiting;
			addBins(sum.bins, u.lat);
		};
		const ok = await forUnits((h) => minutesOf(d, h), m.msHour, m.msMinute, `${spec.flow}\x1f${specOf(spec)}`, from, to, [], hoursOk, (t, _len, u) => {
			if (u.waiting > 0 && u.waitMin < limit && u.waitMax >= limit) straddling = true;
			add(total, u);
			if (bucketSeconds > 0) {
				const b = Math.floor(t / bucketMs) * bucketMs;
				let sum = buckets.get(b);
				if (!sum) buckets.set(b, (sum = { n: 0, pending: 0, bins: new Map() }));
				add(sum, u);
			}
		});
		if (!ok || straddling) return null;
		const row = (sum: Sum, b: string, g: number): Row => ({ mi: i + 1, b, g, n: sum.n, pending: sum.pending, q: sum.n ? quantiles(sum.bins, [0.5, 0.95, 0.99]) : [] });
		rows.push(row(total, '', 1));
		for (const [b, sum] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) rows.push(row(sum, new Date(b).toISOString(), 0));
	}
	return rows;
}

/** One row per (transaction of the window, milestone of its flow) from sla_transactions. */
async function oneByOne(specs: MilestoneSpec[], w: Window, bucketSeconds: number, d: Db): Promise<Row[]> {
	// flow → its milestones' positions (1-based): a map lookup per row, not a lambda over every spec
	const positions: Record<string, number[]> = {};
	specs.forEach((m, i) => (positions[m.flow] ??= []).push(i + 1));
	const byFlow = sql`${{ 'Map(String, Array(UInt32))': positions }}`;
	const fromSteps = sql`${{ 'Array(String)': specs.map((m) => m.from) }}`;
	const toSteps = sql`${{ 'Array(String)': specs.map((m) => m.to) }}`;
	const okTo = sql`${{ 'Array(UInt8)': specs.map((m) => (m.requireToSucceeded ? 1 : 0)) }}`;
	const target = sql`${{ 'Array(Float64)': specs.map((m) => m.targetMs) }}`;
	const flowSet = sql`${{ 'Array(String)': [...new Set(specs.map((m) => m.flow))] }}`;
	const inner = sql`
		SELECT mi, Start, StepStarts[fi] AS fromStart, indexOf(StepNames, ${toSteps}[mi]) AS ti,
			if(ti > 0 AND (${okTo}[mi] = 0 OR StepFailed[ti] = 0), toNullable(StepEnds[ti]), NULL) AS toEnd
		FROM (
			SELECT Flow, Start, StepNames, StepStarts, StepEnds, StepFailed
			FROM sla_transactions FINAL
			WHERE Flow IN ${flowSet}
				AND StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND StartMinute < ${{ 'DateTime64(3)': w.to }}
				AND Start >= ${{ 'DateTime64(3)': w.from }} AND Start < ${{ 'DateTime64(3)': w.to }}
		)
		ARRAY JOIN ${byFlow}[Flow] AS mi
		WHERE (indexOf(StepNames, ${fromSteps}[mi]) AS fi) > 0`;
	const lat = sql`if(toEnd IS NULL OR toEnd < fromStart, NULL, (toUnixTimestamp64Nano(assumeNotNull(toEnd)) - toUnixTimestamp64Nano(fromStart)) / 1e6) AS lat`;
	const { b, by } = grouped(bucketSeconds, 'Start');
	return d.query<Row>(sql`
		SELECT mi, ${b}, count(lat) AS n,
			-- waiting longer than the target: the from step started before now − target (as in fromAggregates)
			countIf(lat IS NULL AND fromStart < subtractMilliseconds(${{ 'DateTime64(3)': w.now }}, toInt64(${target}[mi]))) AS pending,
			quantilesDDIf(0.01, 0.5, 0.95, 0.99)(assumeNotNull(lat), lat IS NOT NULL) AS q
		FROM (SELECT *, ${lat} FROM (${inner})) GROUP BY ${by} ORDER BY mi, b`);
}

/**
 * deadLetters from the live figures (whole hours, the minutes of the edge hours), for minute-aligned
 * windows with hourly buckets or none (finer buckets over many hours: ClickHouse). False when it cannot.
 */
async function deadLettersFromLive(
	m: Live,
	out: Map<string, { total: number; previous: number; series: { t: string; n: number }[] }>,
	w: Window,
	bucketSeconds: number,
	d: Db,
	previousFrom: Date | null
): Promise<boolean> {
	const HOUR = 3_600_000;
	const [from, to, lo] = [w.from.getTime(), w.to.getTime(), (previousFrom ?? w.from).getTime()];
	const step = Math.max(60, bucketSeconds) * 1000;
	if ([from, to, lo].some((t) => t % 60_000 !== 0)) return false;
	const hourly = bucketSeconds === 0 || step % HOUR === 0;
	if (!hourly && to - lo > 2 * HOUR) return false;
	const dl = m.deadLetterMirror;
	for (const [flow, o] of out) {
		const buckets = new Map<number, number>();
		// hours are split where the periods meet
		const ok = await forUnits((h) => blockMinutesOf(d, h, 'deadLetters'), dl.hour, dl.minute, flow, lo, to, [from], hourly, (t, _len, u) => {
			if (t < from) o.previous += u.n;
			else {
				o.total += u.n;
				const b = Math.floor(t / step) * step;
				buckets.set(b, (buckets.get(b) ?? 0) + u.n);
			}
		});
		if (!ok) return false;
		if (bucketSeconds > 0) o.series = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, n]) => ({ t: new Date(t).toISOString(), n }));
	}
	return true;
}

/**
 * Dead-letter records per flow in the window (and per bucket), from sla_dead_letters_minute; with
 * `previousFrom`, also the period [previousFrom, from) in the same query (`previous`).
 */
export async function deadLetters(
	flows: string[],
	w: Window,
	bucketSeconds = 0,
	d: Db = db(),
	previousFrom: Date | null = null
): Promise<Map<string, { total: number; previous: number; series: { t: string; n: number }[] }>> {
	const out = new Map(flows.map((f) => [f, { total: 0, previous: 0, series: [] as { t: string; n: number }[] }]));
	if (flows.length === 0) return out;
	const m = live(d);
	if (m && (await deadLettersFromLive(m, out, w, bucketSeconds, d, previousFrom))) return out;
	const from = sql`${{ 'DateTime64(3)': w.from }}`;
	const rows = await d.query<{ Flow: string; cur: number; b: string; g: number; n: number }>(sql`
		SELECT Flow, Minute >= toStartOfMinute(${from}) AS cur,
			if(cur, toStartOfInterval(Minute, toIntervalSecond(${{ UInt32: Math.max(60, bucketSeconds) }})), toDateTime(0)) AS b, grouping(b) AS g,
			uniqExactMerge(Records) AS n
		FROM sla_dead_letters_minute
		WHERE Flow IN ${{ 'Array(String)': flows }}
			AND Minute >= toStartOfMinute(${{ 'DateTime64(3)': previousFrom ?? w.from }}) AND Minute < ${{ 'DateTime64(3)': w.to }}
		GROUP BY GROUPING SETS ((Flow, cur), (Flow, cur, b)) ORDER BY Flow, b`);
	for (const r of rows) {
		const f = out.get(r.Flow);
		if (!f) continue;
		// standard GROUPING(): 1 on the per-flow total rows, 0 on bucket rows
		if (r.g === 1) {
			if (r.cur) f.total = r.n;
			else f.previous = r.n;
		} else if (bucketSeconds > 0 && r.cur) f.series.push({ t: toIso(r.b), n: r.n });
	}
	return out;
}
