/**
 * Control totals: what a system of record says it processed (the log event integration.control_total,
 * migration 400) beside what telemetry saw at the rule's point in that system over the same window.
 * Seen = distinct spans or records of the point's step and outcome (a record created twice is two
 * records in the ERP too), and the sums of their fields. A report whose window lies inside the page's
 * window is shown; the latest report for a (system, entity type, window) replaces earlier ones.
 */
import { db, raw, sql, type Db } from '../db';
import type { ReconRule } from '../flows/schema';
import type { RuleResult } from './schemas';
import { SUMMABLE, type Window } from './queries';

type Report = { system: string; ws: number; we: number; count: number; sums: Record<string, number>; at: number };

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const iso = (ms: number) => new Date(ms).toISOString();

/** Control totals reported for the rule's entity type by its systems, with what telemetry saw. */
export async function controlTotals(flow: string, rule: ReconRule, w: Window, d: Db = db()): Promise<RuleResult['controlTotals']> {
	if (!rule.entityType) return [];
	const points = [rule.source, ...rule.targets];
	const reports = await d.query<Report>(sql`
		SELECT System AS system, toUnixTimestamp64Milli(WindowStart) AS ws, toUnixTimestamp64Milli(WindowEnd) AS we,
			argMax(Count, Timestamp) AS count, argMax(Sums, Timestamp) AS sums, toUnixTimestamp64Milli(max(Timestamp)) AS at
		FROM recon_control_totals
		WHERE EntityType = ${{ String: rule.entityType }} AND System IN ${{ 'Array(String)': points.map((p) => p.system) }}
			AND WindowStart >= ${{ 'DateTime64(3)': w.from }} AND WindowEnd <= ${{ 'DateTime64(3)': w.to }} AND WindowStart < WindowEnd
		GROUP BY System, WindowStart, WindowEnd
		ORDER BY System, WindowStart, WindowEnd`);
	const bySystem = new Map<string, Report[]>();
	for (const r of reports) bySystem.set(r.system, [...(bySystem.get(r.system) ?? []), r]);
	const out: RuleResult['controlTotals'] = [];
	for (const [system, rs] of bySystem) {
		const point = points.find((p) => p.system === system)!;
		// sums telemetry can see (amount, quantity); a reported sum of another field is shown, not compared
		const fields = [...new Set(rs.flatMap((r) => Object.keys(r.sums)))].filter((f) => f in SUMMABLE).sort();
		const seen = await seenIn(flow, rule.key, point, rs, fields, d);
		rs.forEach((r, j) => {
			const s = seen.get(j + 1) ?? { n: 0, sums: fields.map(() => 0) };
			const seenSums = Object.fromEntries(fields.filter((f) => f in r.sums).map((f) => [f, round(s.sums[fields.indexOf(f)] ?? 0)]));
			const diffSums = Object.fromEntries(Object.entries(r.sums).filter(([f]) => f in SUMMABLE).map(([f, v]) => [f, round(v - (seenSums[f] ?? 0))]));
			const diffCount = round(r.count - s.n);
			out.push({
				system,
				entityType: rule.entityType!,
				step: point.step,
				windowStart: iso(r.ws),
				windowEnd: iso(r.we),
				reported: { count: r.count, sums: Object.fromEntries(Object.entries(r.sums).map(([f, v]) => [f, round(v)])) },
				seen: { count: s.n, sums: seenSums },
				difference: { count: diffCount, sums: diffSums },
				agrees: diffCount === 0 && Object.values(diffSums).every((v) => Math.abs(v) <= rule.tolerance + 1e-9),
				reportedAt: iso(r.at)
			});
		});
	}
	return out;
}

/** Per report (1-based index): distinct points of the step in its window and the sums of their fields. */
async function seenIn(flow: string, key: string, point: { step: string; outcome: readonly string[] }, rs: Report[], fields: string[], d: Db) {
	const lo = Math.min(...rs.map((r) => r.ws));
	const hi = Math.max(...rs.map((r) => r.we));
	const sums = fields.length ? raw(`[${fields.map((f) => `sum(ifNull(${SUMMABLE[f]}, 0))`).join(', ')}]`) : raw('CAST([] AS Array(Float64))');
	const rows = await d.query<{ idx: number; n: number; sums: number[] }>(sql`
		SELECT idx, count() AS n, ${sums} AS sums
		FROM (
			SELECT PointId, min(Timestamp) AS t, any(Amount) AS Amount, any(Quantity) AS Quantity FROM recon_points
			WHERE Flow = ${{ String: flow }} AND KeyName = ${{ String: key }} AND Step = ${{ String: point.step }} AND Outcome IN ${{ 'Array(String)': point.outcome }}
				AND Timestamp >= fromUnixTimestamp64Milli(${{ Int64: lo }}) AND Timestamp < fromUnixTimestamp64Milli(${{ Int64: hi }})
			GROUP BY PointId)
		ARRAY JOIN arrayFilter(j -> toUnixTimestamp64Milli(t) >= ${{ 'Array(Int64)': rs.map((r) => r.ws) }}[j]
			AND toUnixTimestamp64Milli(t) < ${{ 'Array(Int64)': rs.map((r) => r.we) }}[j], range(1, ${{ UInt32: rs.length + 1 }})) AS idx
		GROUP BY idx`);
	return new Map(rows.map((r) => [Number(r.idx), { n: Number(r.n), sums: r.sums.map(Number) }]));
}
