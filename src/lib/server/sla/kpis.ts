/**
 * Transaction KPIs of flows in a window: counts, end-to-end quantiles, event delay, value at risk,
 * per flow and per time bucket, in one pass over the sla_tx_traces rollup.
 *
 * Quantiles use ClickHouse's quantilesDD (DDSketch) with relative accuracy 0.01: a reported
 * quantile is within 1% of the value of a data point at that rank (see README.md).
 */
import { db, join, raw, sql, type Db, type Sql } from '../db';
import type { Flow } from '../flows/schema';
import { aggregatesReady, ensureFolded } from './fold';
import { fromLive, riskFromLive } from './kpis-live';
import { live } from './live';
import { starts } from './live-store';
import { endStep, stuckAfterMs, transactions, type Window } from './transactions';

export const QUANTILE_RELATIVE_ACCURACY = 0.01;

export interface TxFigures {
	total: number;
	succeeded: number;
	failed: number;
	duplicates: number;
	replays: number;
	stuck: number;
	successRate: number | null;
	e2eMs: { p50: number | null; p95: number | null; p99: number | null };
	eventDelayMs: { p50: number | null; p95: number | null };
	/** summed as reported, across currencies (kept for the API); prefer valueAtRiskByCurrency */
	valueAtRisk: number;
	/** value at risk per integration.currency ('' for transactions that name none) */
	valueAtRiskByCurrency: Record<string, number>;
}

export interface BucketFigures extends TxFigures {
	/** bucket start, ISO */
	t: string;
}

/** At-risk transactions of one drill-down group (step, system, partner, error, failed or stuck). */
export interface RiskRow {
	step: string;
	system: string;
	partner: string;
	errClass: string;
	errCode: string;
	currency: string;
	failed: number;
	n: number;
	total: number;
	/** largest first: (correlation ID, outcome, start ISO, stuck, currency, amount) */
	top: [string, string, string, number, string, number][];
}

export interface Row {
	Flow: string;
	b: string;
	g: number;
	total: number;
	succeeded: number;
	failed: number;
	duplicates: number;
	replays: number;
	stuck: number;
	e2eN: number;
	e2e: number[];
	delayN: number;
	delay: number[];
	/** value at risk per currency: (currencies, amounts) */
	varCur: [string[], number[]];
}

const FIGURES = raw(`
	countIf(outcome != 'duplicate') AS total,
	countIf(outcome IN ('success', '')) AS succeeded,
	countIf(outcome = 'failed') AS failed,
	sum(dupSpans) AS duplicates,
	countIf(outcome != 'duplicate' AND (retrySpans > 0 OR (failedSpans > 0 AND outcome IN ('success', ''))) ) AS replays,
	countIf(stuck) AS stuck,
	count(firstTraceMs) AS e2eN,
	quantilesDDIf(0.01, 0.5, 0.95, 0.99)(assumeNotNull(firstTraceMs), firstTraceMs IS NOT NULL) AS e2e,
	count(eventDelayMs) AS delayN,
	quantilesDDIf(0.01, 0.5, 0.95)(assumeNotNull(eventDelayMs), eventDelayMs IS NOT NULL) AS delay,
	sumMapIf([currency], [amount], atRisk) AS varCur`);

export function figures(r: Row): TxFigures {
	const [currencies, amounts] = [r.varCur[0], r.varCur[1].map(Number)];
	const q = (n: number, v: number | undefined) => (n > 0 && v !== undefined && Number.isFinite(v) ? round(v) : null);
	return {
		total: r.total,
		succeeded: r.succeeded,
		failed: r.failed,
		duplicates: r.duplicates,
		replays: r.replays,
		stuck: r.stuck,
		successRate: r.total > 0 ? r.succeeded / r.total : null,
		e2eMs: { p50: q(r.e2eN, r.e2e[0]), p95: q(r.e2eN, r.e2e[1]), p99: q(r.e2eN, r.e2e[2]) },
		eventDelayMs: { p50: q(r.delayN, r.delay[0]), p95: q(r.delayN, r.delay[1]) },
		valueAtRisk: cents(amounts.reduce((a, b) => a + b, 0)),
		valueAtRiskByCurrency: Object.fromEntries(currencies.map((c, i) => [c, cents(amounts[i])]).filter(([, v]) => v !== 0))
	};
}

const cents = (v: number) => Math.round(v * 100) / 100;

const round = (v: number) => Math.round(v * 1000) / 1000;

export const EMPTY: TxFigures = figures({
	total: 0, succeeded: 0, failed: 0, duplicates: 0, replays: 0, stuck: 0, e2eN: 0, e2e: [], delayN: 0, delay: [], varCur: [[], []]
} as unknown as Row);

export interface FlowFigures {
	flow: string;
	totals: TxFigures;
	series: BucketFigures[];
	/** 'counts' mode: transactions and failures per bucket of the window, dense (the overview's sparklines) */
	spark?: Spark;
}

export interface Spark {
	/** start of the first bucket, epoch seconds; then one bucket every `step` seconds */
	first: number;
	step: number;
	totals: number[];
	failed: number[];
}

/** Figures per flow for the window, plus a series per bucket (bucketSeconds; 0 = no series). */
export async function txFigures(flows: Flow[], w: Window, bucketSeconds: number, d: Db = db()): Promise<Map<string, FlowFigures>> {
	return (await txFiguresCompared(flows, w, null, bucketSeconds, d)).current;
}

/**
 * Figures for the window and, when given, the period just before it, in one pass: the
 * transactions of [previous.from, to) are split by the period their first span started in. The
 * series covers the current window only.
 */
export async function txFiguresCompared(
	flows: Flow[],
	w: Window,
	previous: { from: Date } | null,
	bucketSeconds: number,
	d: Db = db(),
	/** 'full': every figure per bucket; 'counts': transactions and failures per bucket only (sparklines: cheap at 1-minute buckets) */
	series: 'full' | 'counts' = 'full',
	/**
	 * Also the current window's at-risk transactions grouped for drill-down (see breakdowns.ts),
	 * in the same pass (the flow page): up to `limit` of the largest per group.
	 */
	risk: { limit: number } | null = null
): Promise<{ current: Map<string, FlowFigures>; previous: Map<string, FlowFigures>; risk: RiskRow[] }> {
	const empty = () => new Map<string, FlowFigures>(flows.map((f) => [f.id, { flow: f.id, totals: EMPTY, series: [] }]));
	const out = { current: empty(), previous: empty(), risk: [] as RiskRow[] };
	if (flows.length === 0) return out;
	const span = previous ? { ...w, from: previous.from } : w;
	await ensureFolded(d);
	if (aggregatesReady(d) && [w.from, w.to, span.from].every((t) => t.getTime() % 60_000 === 0) && bucketSeconds % 60 === 0) {
		const mirror = live(d);
		const fromMemory = mirror && (await fromLive(mirror, flows, w, previous, bucketSeconds, d, series, risk, out));
		return fromMemory || fromAggregates(flows, w, previous, bucketSeconds, d, series, risk, out);
	}
	const tx = transactions(flows, span);
	const cur = sql`start >= ${{ 'DateTime64(3)': w.from }}`;
	// bucket rows only for the current period (the previous one contributes a single bucket)
	const bucket = sql`if(${cur}, toStartOfInterval(start, toIntervalSecond(${{ UInt32: Math.max(1, bucketSeconds) }})), toDateTime(0))`;
	if (bucketSeconds > 0 && series === 'counts') {
		// the figures per flow and period, and beside them (another chDB session) the sparkline:
		// transactions and failures per bucket of the current window, as parallel arrays per flow.
		// Grouping by (flow, bucket) first is ~2× cheaper than one sumMap per flow over every row.
		const key = sql`toUInt32(toStartOfInterval(start, toIntervalSecond(${{ UInt32: bucketSeconds }})))`;
		const [rows, sparks] = await Promise.all([
			d.query<Row & { cur: number }>(sql`SELECT Flow, ${cur} AS cur, ${FIGURES} FROM (${tx}) GROUP BY Flow, cur`),
			d.query<{ Flow: string; ts: number[]; totals: number[]; failed: number[] }>(sql`
				SELECT Flow, groupArray(k) AS ts, groupArray(n) AS totals, groupArray(f) AS failed FROM (
					SELECT Flow, ${key} AS k, countIf(outcome != 'duplicate') AS n, countIf(outcome = 'failed') AS f
					FROM (${transactions(flows, w)}) GROUP BY Flow, k
				) GROUP BY Flow`)
		]);
		for (const r of rows) {
			const f = (r.cur ? out.current : out.previous).get(r.Flow);
			if (f) f.totals = figures(r);
		}
		fillSparks(out, sparks, w, bucketSeconds);
		return out;
	}
	const rows = await d.query<Row & RiskRow & { cur: number; gr: number; risky: number; rf: number; riskN: number; riskAmount: number }>(
		risk
			? sql`SELECT Flow, ${cur} AS cur, ${bucket} AS b, grouping(b) AS g, ${FIGURES},
				-- the drill-down grouping set: current window, at risk only (others are dropped below)
				atRisk AND cur AS risky, outcome = 'failed' AS rf, grouping(risky) AS gr,
				step, system, partner, errClass, errCode, currency, count() AS riskN, sum(amount) AS riskAmount,
				arraySlice(arrayReverseSort(x -> x.6, groupArrayIf((CorrelationId, outcome, formatDateTime(start, '%Y-%m-%dT%H:%i:%SZ'), toUInt8(stuckTx), currency, amount), atRisk AND cur)), 1, ${{ UInt32: risk.limit }}) AS top
				-- (stuck is also the name of a figure: the row's flag goes by another name)
				FROM (SELECT *, stuck AS stuckTx FROM (${tx}))
				GROUP BY GROUPING SETS ((Flow, cur), (Flow, cur, b), (Flow, risky, step, system, partner, errClass, errCode, currency, rf)) ORDER BY Flow, b`
			: bucketSeconds > 0
				? sql`SELECT Flow, ${cur} AS cur, ${bucket} AS b, grouping(b) AS g, ${FIGURES} FROM (${tx})
				GROUP BY GROUPING SETS ((Flow, cur), (Flow, cur, b)) ORDER BY Flow, b`
				: sql`SELECT Flow, ${cur} AS cur, 1 AS g, ${FIGURES} FROM (${tx}) GROUP BY Flow, cur`
	);
	for (const r of rows) {
		if (risk && r.gr === 0) {
			if (r.risky) out.risk.push({ ...r, failed: r.rf, n: r.riskN, total: r.riskAmount });
			continue;
		}
		const f = (r.cur ? out.current : out.previous).get(r.Flow);
		if (!f) continue;
		// standard GROUPING(): 1 on the per-flow total row (b aggregated away), 0 on bucket rows
		if (r.g === 1) f.totals = figures(r);
		else if (r.cur && bucketSeconds > 0) f.series.push({ t: toIso(r.b), ...figures(r) });
	}
	return out;
}

/** ClickHouse DateTime text (UTC session) → ISO. */
export function toIso(v: string): string {
	return new Date(v.replace(' ', 'T') + (v.endsWith('Z') ? '' : 'Z')).toISOString();
}

export type Out = { current: Map<string, FlowFigures>; previous: Map<string, FlowFigures>; risk: RiskRow[] };

/**
 * The figures of minute-aligned windows from the aggregates (migration 340, aggregates.ts): whole
 * hours from sla_tx_hour, the rest from sla_tx_minute — the same counting rules, and the same
 * sketches merged, as the per-transaction path below (tests/sla/aggregates.int.spec.ts compares them).
 * Stuck needs the catalogue and "now": from the units (hours, else minutes) older than the flow's
 * limit as a whole, plus the transactions of the one minute the limit falls in.
 */
async function fromAggregates(
	flows: Flow[],
	w: Window,
	previous: { from: Date } | null,
	bucketSeconds: number,
	d: Db,
	series: 'full' | 'counts',
	risk: { limit: number } | null,
	out: Out
): Promise<Out> {
	const ids = sql`${{ 'Array(String)': flows.map((f) => f.id) }}`;
	const lo = previous?.from ?? w.from;
	const t = (v: Date) => sql`${{ 'DateTime64(3)': v }}`;
	const cur = (col: string) => sql`${raw(col)} >= ${t(w.from)}`;
	const fullSeries = series === 'full' && bucketSeconds > 0;
	const bucket = (col: string) =>
		fullSeries ? sql`if(${cur(col)}, toStartOfInterval(${raw(col)}, toIntervalSecond(${{ UInt32: bucketSeconds }})), toDateTime(0))` : sql`toDateTime(0)`;
	const grouping = fullSeries ? raw('GROUPING SETS ((Flow, cur), (Flow, cur, b))') : raw('Flow, cur');
	const hoursOk = !(fullSeries && bucketSeconds % 3600 !== 0);
	const columns = raw(`Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, DelayN, Delay, FailedAmount`);
	/**
	 * Hours wholly inside [from, to) and not cut by any of `cuts` (the border between the periods, a
	 * flow's stuck threshold: per-row expressions, with their values here), then the minutes of every
	 * other hour. Those minutes are also named as time ranges, so only their granules are read (a
	 * per-row test alone would read, and merge for FINAL, every minute row of the window). L is the
	 * unit's length in seconds.
	 */
	const units = (from: Date, to: Date, cuts: { expr: Sql; at: Date[] }[], cols: Sql, hours = hoursOk) => {
		const notCut = (h: string) => join(cuts.map((c) => sql` AND NOT (${raw(h)} < ${c.expr} AND ${raw(h)} + 3600 > ${c.expr})`), '');
		const whole = (h: string) => sql`${raw(h)} >= ${t(from)} AND ${raw(h)} + 3600 <= ${t(to)}${notCut(h)}`;
		// identity(): the per-row tests stay out of primary-key analysis, which would otherwise walk
		// every mark of every part with them (planning took 20–50 ms, more than reading)
		return sql`
			SELECT Flow, Hour AS T, 3600 AS L, ${cols} FROM sla_tx_hour FINAL
			WHERE ${hours ? sql`1` : sql`0`} AND Flow IN ${ids} AND Hour >= ${t(from)} AND Hour < ${t(to)} AND identity(${whole('Hour')})
			UNION ALL
			SELECT Flow, Minute AS T, 60 AS L, ${cols} FROM sla_tx_minute FINAL
			WHERE Flow IN ${ids} AND (${minuteRanges(from, to, cuts.flatMap((c) => c.at), hours)})
				AND identity(NOT (${hours ? sql`1` : sql`0`} AND ${whole('toStartOfHour(Minute)')}))`;
	};
	// stuck: succeeded transactions that did not reach the flow's end step, older than its limit —
	// counted in the same query as the other figures: from the units older than the limit as a whole
	// (units are also split where a flow's limit falls), plus the minute the limit falls in, one by one
	const stuckFlows = flows.filter((f) => stuckAfterMs(f) > 0);
	const stuckIds = sql`${{ 'Array(String)': stuckFlows.map((f) => f.id) }}`;
	const endOf = sql`transform(Flow, ${stuckIds}, ${{ 'Array(String)': stuckFlows.map(endStep) }}, '')`;
	const threshold = sql`subtractMilliseconds(${t(w.now)}, transform(Flow, ${stuckIds}, ${{ 'Array(Int64)': stuckFlows.map(stuckAfterMs) }}, toInt64(0)))`;
	const thresholds = [...new Set(stuckFlows.map((f) => w.now.getTime() - stuckAfterMs(f)))].map((v) => new Date(v));
	const boundaries = [...new Set(thresholds.map((v) => Math.floor(v.getTime() / 60_000) * 60_000))];
	const cuts = [...(previous ? [{ expr: t(w.from), at: [w.from] }] : []), ...(stuckFlows.length ? [{ expr: threshold, at: thresholds }] : [])];
	const main = d.query<Omit<Row, 'varCur' | 'stuck'> & { cur: number; failedCur: Record<string, number>; stuckN: number; stuckCur: Record<string, number> }>(sql`
		SELECT Flow, ${cur('T')} AS cur, ${bucket('T')} AS b, ${fullSeries ? raw('grouping(b)') : raw('1')} AS g,
			sum(Total) AS total, sum(Succeeded) AS succeeded, sum(Failed) AS failed, sum(Duplicates) AS duplicates, sum(Replays) AS replays,
			sum(E2EN) AS e2eN, quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(E2E) AS e2e, sum(DelayN) AS delayN,
			quantilesDDMerge(0.01, 0.5, 0.95)(Delay) AS delay, sumMap(FailedAmount) AS failedCur, sum(k) AS stuckN, sumMap(amt) AS stuckCur
		FROM (
			SELECT Flow, T, ${columns},
				if(has(${stuckIds}, Flow) AND identity(T + L <= ${threshold}), toInt64(Succeeded) - toInt64(Reached[${endOf}]), 0) AS k,
				if(k > 0, mapSubtract(CAST(SucceededAmount, 'Map(String, Float64)'),
					mapApply((x, v) -> (substring(x, length(${endOf}) + 2), v), mapFilter((x, v) -> startsWith(x, concat(${endOf}, '\\x1F')), ReachedAmount))),
					CAST(map(), 'Map(String, Float64)')) AS amt
			FROM (${units(lo, w.to, cuts, raw(`Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, DelayN, Delay, FailedAmount, Reached, SucceededAmount, ReachedAmount`))})
			UNION ALL
			-- the minute a flow's limit falls in: its stuck transactions one by one (nothing else counted)
			SELECT Flow, StartMinute AS T, 0, 0, 0, 0, 0, 0, arrayReduce('quantilesDDState(0.01, 0.5, 0.95, 0.99)', emptyArrayFloat64()),
				0, arrayReduce('quantilesDDState(0.01, 0.5, 0.95)', emptyArrayFloat64()), CAST(map(), 'Map(LowCardinality(String), Float64)'),
				toInt64(1) AS k, CAST(map(Currency, Amount), 'Map(String, Float64)') AS amt
			FROM sla_transactions FINAL
			WHERE Flow IN ${stuckIds} AND StartMinute IN ${starts(boundaries)}
				AND StartMinute >= ${t(lo)} AND StartMinute < ${t(w.to)}
				AND identity(StartMinute = toStartOfMinute(${threshold}) AND Start >= ${t(lo)} AND Start < ${t(w.to)}
					AND Outcome IN ('success', '') AND NOT has(Steps, ${endOf}) AND Start < ${threshold})
		)
		GROUP BY ${grouping} ORDER BY Flow, b`);

	// the sparkline (counts mode): transactions and failures per bucket of the current window
	const sparks =
		series === 'counts' && bucketSeconds > 0
			? d.query<{ Flow: string; ts: number[]; totals: number[]; failed: number[] }>(sql`
		SELECT Flow, groupArray(k) AS ts, groupArray(n) AS totals, groupArray(f) AS failed FROM (
			SELECT Flow, toUInt32(toStartOfInterval(T, toIntervalSecond(${{ UInt32: bucketSeconds }}))) AS k, sum(Total) AS n, sum(Failed) AS f
			FROM (${bucketSeconds % 3600 === 0 ? units(w.from, w.to, [], raw('Total, Failed')) : sql`SELECT Flow, Minute AS T, Total, Failed FROM sla_tx_minute FINAL WHERE Flow IN ${ids} AND Minute >= ${t(w.from)} AND Minute < ${t(w.to)}`})
			GROUP BY Flow, k
		) GROUP BY Flow`)
			: Promise.resolve([]);
	const riskRows = risk ? atRiskRows(flows, w, risk.limit, d) : Promise.resolve([]);

	const [mainRows, sparkRows, riskOut] = await Promise.all([main, sparks, riskRows]);
	for (const r of mainRows) {
		const f = (r.cur ? out.current : out.previous).get(r.Flow);
		if (!f) continue;
		const atRisk = { ...r.failedCur };
		for (const [c, v] of Object.entries(r.stuckCur)) atRisk[c] = (atRisk[c] ?? 0) + v;
		const figs = figures({ ...r, stuck: r.stuckN, varCur: [Object.keys(atRisk), Object.values(atRisk)] } as Row);
		if (r.g === 1) f.totals = figs;
		else if (r.cur) f.series.push({ t: toIso(r.b), ...figs });
	}
	out.risk = riskOut;
	if (series === 'counts' && bucketSeconds > 0) fillSparks(out, sparkRows, w, bucketSeconds);
	return out;
}

/** Sparkline counts (per flow: bucket starts in epoch seconds, any order) as dense sparks of the window. */
function fillSparks(out: Out, sparks: { Flow: string; ts: number[]; totals: number[]; failed: number[] }[], w: Window, bucketSeconds: number): void {
	const first = Math.floor(w.from.getTime() / 1000 / bucketSeconds);
	const n = Math.ceil(w.to.getTime() / 1000 / bucketSeconds) - first;
	for (const f of out.current.values()) f.spark = { first: first * bucketSeconds, step: bucketSeconds, totals: new Array(n).fill(0), failed: new Array(n).fill(0) };
	for (const r of sparks) {
		const spark = out.current.get(r.Flow)?.spark;
		if (!spark) continue;
		r.ts.forEach((t, i) => {
			const j = t / bucketSeconds - first;
			spark.totals[j] += Number(r.totals[i]);
			spark.failed[j] += Number(r.failed[i]);
		});
	}
}

/** At-risk transactions (failed or stuck) of the window, grouped for the drill-down (breakdowns.ts), up to `limit` of the largest per group. */
export async function atRiskRows(flows: Flow[], w: Window, limit: number, d: Db = db()): Promise<RiskRow[]> {
	const m = live(d);
	if (m && w.from.getTime() % 60_000 === 0 && w.to.getTime() % 60_000 === 0) {
		const rows = await riskFromLive(m, flows, w, limit, d);
		if (rows) return rows;
	}
	return d.query<RiskRow>(sql`
		SELECT step, system, partner, errClass, errCode, currency, outcome = 'failed' AS failed, count() AS n, sum(amount) AS total,
			arraySlice(arrayReverseSort(x -> x.6, groupArray((CorrelationId, outcome, formatDateTime(start, '%Y-%m-%dT%H:%i:%SZ'), toUInt8(stuck), currency, amount))), 1, ${{ UInt32: limit }}) AS top
		FROM (${transactions(flows, w)})
		WHERE atRisk
		GROUP BY step, system, partner, errClass, errCode, currency, failed
		ORDER BY step, system, partner, errClass, errCode, currency, failed`);
}

const HOUR = 3_600_000;

/**
 * The minutes a window reads from sla_tx_minute as a disjunction of time ranges: all of [from, to)
 * without hours, else the parts of [from, to) in the first and last hour and in each hour a cut falls in.
 */
export function minuteRanges(from: Date, to: Date, cuts: Date[], hours: boolean, col = 'Minute'): Sql {
	const range = (a: number, b: number) =>
		sql`(${raw(col)} >= ${{ 'DateTime64(3)': new Date(a) }} AND ${raw(col)} < ${{ 'DateTime64(3)': new Date(b) }})`;
	const [f, e] = [from.getTime(), to.getTime()];
	if (!hours || e - f <= 2 * HOUR) return range(f, e);
	const spans: [number, number][] = [
		[f, Math.ceil(f / HOUR) * HOUR],
		[Math.floor(e / HOUR) * HOUR, e],
		...cuts.map((c) => c.getTime()).filter((c) => c > f && c < e).map((c): [number, number] => [Math.floor(c / HOUR) * HOUR, Math.floor(c / HOUR) * HOUR + HOUR])
	];
	const parts = spans.map(([a, b]) => [Math.max(a, f), Math.min(b, e)] as const).filter(([a, b]) => a < b);
	return parts.length ? join(parts.map(([a, b]) => range(a, b)), ' OR ') : sql`0`;
}
