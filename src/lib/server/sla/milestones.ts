/**
 * Milestones: latency between two steps of one correlation ID, in any traces (e.g. a PO sent to a
 * supplier and its EDI 855 acknowledgement hours later), from the sla_tx_steps rollup. A milestone
 * belongs to the window its "from" step first started in; it is pending while the "to" step has not
 * happened, and counted in `pending` once it has waited longer than its target.
 */
import { config } from '../config';
import { db, sql, type Db } from '../db';
import { ensureFolded } from './fold';
import { toIso } from './kpis';
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
 * Several milestones (of any flows) in one pass over sla_transactions (kept by the fold): each
 * transaction carries its steps' first start / first end / failed as parallel arrays, and is
 * ARRAY JOINed to the milestones of its flow whose "from" step it has. A transaction can only hold
 * a milestone of the window if it started before the window's end and some step of it first started
 * inside it (LastStepStart), and at most the look-back before the window.
 */
export async function milestonesFigures(specs: MilestoneSpec[], w: Window, bucketSeconds = 0, d: Db = db()): Promise<MilestoneResult[]> {
	const out: MilestoneResult[] = specs.map(() => ({ totals: { ...EMPTY_MILESTONE }, series: [] }));
	if (specs.length === 0) return out;
	await ensureFolded(d);
	const lookback = new Date(w.from.getTime() - config().slaLookbackDays * 86_400_000);
	// flow → its milestones' positions (1-based): a map lookup per row, not a lambda over every spec
	const positions: Record<string, number[]> = {};
	specs.forEach((m, i) => (positions[m.flow] ??= []).push(i + 1));
	const byFlow = sql`${{ 'Map(String, Array(UInt32))': positions }}`;
	const fromSteps = sql`${{ 'Array(String)': specs.map((m) => m.from) }}`;
	const toSteps = sql`${{ 'Array(String)': specs.map((m) => m.to) }}`;
	const okTo = sql`${{ 'Array(UInt8)': specs.map((m) => (m.requireToSucceeded ? 1 : 0)) }}`;
	const target = sql`${{ 'Array(Float64)': specs.map((m) => m.targetMs) }}`;
	const flowSet = sql`${{ 'Array(String)': [...new Set(specs.map((m) => m.flow))] }}`;
	// the candidate transactions first (FINAL over key columns and a few light ones, filtered before
	// any array is touched), then one row per (transaction, milestone of its flow)
	const inner = sql`
		SELECT mi, CorrelationId, StepStarts[indexOf(StepNames, ${fromSteps}[mi])] AS fromStart,
			indexOf(StepNames, ${toSteps}[mi]) AS ti,
			if(ti > 0 AND (${okTo}[mi] = 0 OR StepFailed[ti] = 0), toNullable(StepEnds[ti]), NULL) AS toEnd
		FROM (
			SELECT Flow, CorrelationId, StepNames, StepStarts, StepEnds, StepFailed
			FROM sla_transactions FINAL
			WHERE Flow IN ${flowSet}
				AND StartMinute >= toStartOfMinute(${{ 'DateTime64(3)': lookback }}) AND StartMinute < ${{ 'DateTime64(3)': w.to }}
				AND LastStepStart >= ${{ 'DateTime64(3)': w.from }}
		)
		ARRAY JOIN ${byFlow}[Flow] AS mi
		WHERE fromStart >= ${{ 'DateTime64(3)': w.from }} AND fromStart < ${{ 'DateTime64(3)': w.to }}`;
	const figures = sql`
		count(lat) AS n,
		countIf(lat IS NULL AND dateDiff('millisecond', fromStart, ${{ 'DateTime64(3)': w.now }}) > ${target}[mi]) AS pending,
		quantilesDDIf(0.01, 0.5, 0.95, 0.99)(assumeNotNull(lat), lat IS NOT NULL) AS q`;
	const lat = sql`if(toEnd IS NULL OR toEnd < fromStart, NULL, (toUnixTimestamp64Nano(assumeNotNull(toEnd)) - toUnixTimestamp64Nano(fromStart)) / 1e6) AS lat`;
	const rows = await d.query<Row>(
		bucketSeconds > 0
			? sql`SELECT mi, toStartOfInterval(fromStart, toIntervalSecond(${{ UInt32: bucketSeconds }})) AS b, grouping(b) AS g, ${figures}
				FROM (SELECT *, ${lat} FROM (${inner})) GROUP BY GROUPING SETS ((mi), (mi, b)) ORDER BY mi, b`
			: sql`SELECT mi, '' AS b, 1 AS g, ${figures} FROM (SELECT *, ${lat} FROM (${inner})) GROUP BY mi`
	);
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

/** Dead-letter records per flow in the window (and per bucket), from sla_dead_letters_minute. */
export async function deadLetters(
	flows: string[],
	w: Window,
	bucketSeconds = 0,
	d: Db = db()
): Promise<Map<string, { total: number; series: { t: string; n: number }[] }>> {
	const out = new Map(flows.map((f) => [f, { total: 0, series: [] as { t: string; n: number }[] }]));
	if (flows.length === 0) return out;
	const rows = await d.query<{ Flow: string; b: string; g: number; n: number }>(sql`
		SELECT Flow, toStartOfInterval(Minute, toIntervalSecond(${{ UInt32: Math.max(60, bucketSeconds) }})) AS b, grouping(b) AS g,
			uniqExactMerge(Records) AS n
		FROM sla_dead_letters_minute
		WHERE Flow IN ${{ 'Array(String)': flows }}
			AND Minute >= toStartOfMinute(${{ 'DateTime64(3)': w.from }}) AND Minute < ${{ 'DateTime64(3)': w.to }}
		GROUP BY GROUPING SETS ((Flow), (Flow, b)) ORDER BY Flow, b`);
	for (const r of rows) {
		const f = out.get(r.Flow);
		if (!f) continue;
		// standard GROUPING(): 1 on the per-flow total row, 0 on bucket rows
		if (r.g === 1) f.total = r.n;
		else if (bucketSeconds > 0) f.series.push({ t: toIso(r.b), n: r.n });
	}
	return out;
}
