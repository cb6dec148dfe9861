/**
 * The reconciliation queries over recon_points (migration 400). One definition of every figure:
 * keyStates() classifies each (key, target) of a rule and window, and the figures, the trend, the
 * drill-down lists, the CSV export, the overview tile and the alerts all read it.
 *
 * A key belongs to a window when its first source point is in it. Points are read from the largest
 * grace period before the window to the largest grace period after it: a target that arrives later
 * than that counts as missing in the key's window. docs/reconciliation.md has the rules.
 */
import { db, join, raw, sql, type Db, type Sql } from '../db';
import type { ReconRule } from '../flows/schema';
import { STATES, type KeyState } from './schemas';

export interface Window {
	from: Date;
	to: Date;
	now: Date;
}

/** The column of each comparable fact, and whether it compares as a number (with the rule's tolerance). */
const FIELD_COLUMNS: Record<string, { column: string; numeric: boolean }> = {
	amount: { column: 'Amount', numeric: true },
	quantity: { column: 'Quantity', numeric: true },
	currency: { column: 'Currency', numeric: false },
	partner: { column: 'Partner', numeric: false },
	'entity.type': { column: 'EntityType', numeric: false }
};

/** Hash aggregation: grouping in the table's key order was 1.5–2× slower with this many aggregates. */
const QUERY_SETTINGS = raw('max_threads = 2');

const isPoint = (p: { step: string; outcome: readonly string[] }) => sql`(Step = ${{ String: p.step }} AND Outcome IN ${{ 'Array(String)': p.outcome }})`;

/** The largest grace period of a rule's targets (ms). */
export const maxGrace = (rule: ReconRule) => Math.max(...rule.targets.map((t) => t.grace));

/**
 * The points a rule reads for a window: its flow, key name and steps, from the largest grace period
 * before the window to the largest after it.
 */
export function readRange(flow: string, rule: ReconRule, w: Window): Sql {
	const g = maxGrace(rule);
	const steps = [...new Set([rule.source.step, ...rule.targets.map((t) => t.step)])];
	return sql`Flow = ${{ String: flow }} AND KeyName = ${{ String: rule.key }} AND Step IN ${{ 'Array(String)': steps }}
		AND Timestamp >= ${{ 'DateTime64(3)': new Date(w.from.getTime() - g) }} AND Timestamp < ${{ 'DateTime64(3)': new Date(w.to.getTime() + g) }}`;
}

/** The fields the rule compares anywhere (its own and its targets'), in one order. */
export function comparedFields(rule: ReconRule): string[] {
	return [...new Set([...rule.compare, ...rule.targets.flatMap((t) => t.compare ?? [])])];
}

/**
 * One row per key of the rule in the read range: its source point and, per target, whether it
 * arrived, when first and whether twice or more (two distinct point ids). p, the point a row is
 * (0 the source, i target i), is computed once per row. Per compared field its value at each point
 * (`v_j[1]` the source's, `v_j[i + 1]` target i's; the smallest, where a key left more than once):
 * min of a column costs a fraction of argMin of the first value (bench/reconcile.ts); and per field
 * whether each target's value differs (`fd_j`, fieldDiffers).
 */
function perKey(flow: string, rule: ReconRule, w: Window): Sql {
	const fields = comparedFields(rule);
	const point = sql`multiIf(${isPoint(rule.source)}, 0, ${join(rule.targets.map((t, i) => sql`${isPoint(t)}, ${{ UInt8: i + 1 }}`), ', ')}, 255)`;
	const each = (f: (i: number) => string) => `[${rule.targets.map((_, i) => f(i + 1)).join(', ')}]`;
	// every aggregate costs a pass over the day's points: a field is aggregated only at the points that
	// compare it, and only its smallest value (a key that left and arrived once has one value each)
	const ranges = fields.map((f, j) => {
		const c = FIELD_COLUMNS[f].column;
		const at = (i: number) => (i === 0 || (rule.targets[i - 1].compare ?? rule.compare).includes(f as ReconRule['compare'][number]) ? `minIf(${c}, p = ${i})` : 'NULL');
		return `[${[0, ...rule.targets.map((_, i) => i + 1)].map(at).join(', ')}] AS v_${j + 1}`;
	});
	// PointId is a 64-bit hash, never 0 (minIf/maxIf give 0 where no row matches): arrived = max != 0,
	// twice or more = two distinct ids
	return sql`
		SELECT KeyValue AS k,
			maxIf(PointId, p = 0) != 0 AS hasSrc,
			minIf(Timestamp, p = 0) AS srcAt,
			${raw(each((i) => `maxIf(PointId, p = ${i}) != 0`))} AS tHas,
			${raw(each((i) => `minIf(Timestamp, p = ${i})`))} AS tAt,
			${raw(each((i) => `minIf(PointId, p = ${i}) != maxIf(PointId, p = ${i})`))} AS tDup
			${raw(ranges.map((r) => `, ${r}`).join(''))}
			${join(fieldDiffers(rule).map((d) => sql`, ${d}`), '')}
		FROM (
			SELECT KeyValue, Timestamp, PointId, ${raw(fields.map((f) => `${FIELD_COLUMNS[f].column}, `).join(''))}${point} AS p
			FROM recon_points
			WHERE ${readRange(flow, rule, w)})
		GROUP BY KeyValue`;
}

/**
 * Per compared field (position j in comparedFields), `fd_j`: per target, does what arrived there differ
 * from what left? Compared once per key, before the (key, target) rows are made: compared on each of
 * those rows (the values' arrays copied to every one), the page query took 15–20 % longer at 1M keys.
 * A field a target does not compare never differs there.
 */
function fieldDiffers(rule: ReconRule): Sql[] {
	const tol = sql`${{ Float64: rule.tolerance }}`;
	return comparedFields(rule).map((f, j) => {
		const at = rule.targets.map((t, i) => {
			if (!(t.compare ?? rule.compare).includes(f as ReconRule['compare'][number])) return raw('0');
			const [a, b] = [`v_${j + 1}[1]`, `v_${j + 1}[${i + 2}]`].map(raw);
			return FIELD_COLUMNS[f].numeric ? sql`ifNull(abs(${a} - ${b}) > ${tol}, isNull(${a}) != isNull(${b}))` : sql`${a} != ${b}`;
		});
		return sql`[${join(at, ', ')}] AS fd_${raw(String(j + 1))}`;
	});
}

/** The compared values of point x (1 = the source, i + 1 = target i) as text. */
function valuesText(rule: ReconRule, x: string): Sql {
	const fields = comparedFields(rule);
	if (!fields.length) return raw('CAST([] AS Array(String))');
	return raw(`[${fields.map((_, j) => `ifNull(toString(v_${j + 1}[${x}]), '')`).join(', ')}]`);
}

/**
 * Per (key, target index i, 1-based): its state (a code, see below), whether it arrived late,
 * and the compared fields that differ (names). `at` is when the key is placed in the trend (its source
 * point, or for an unexpected key its first target point).
 */
export function keyStates(flow: string, rule: ReconRule, w: Window): Sql {
	const from = sql`${{ 'DateTime64(3)': w.from }}`;
	const to = sql`${{ 'DateTime64(3)': w.to }}`;
	const grace = sql`${{ 'Array(Int64)': rule.targets.map((t) => t.grace) }}[i]`;
	const required = sql`${{ 'Array(UInt8)': rule.targets.map((t) => (t.required ? 1 : 0)) }}[i]`;
	const names = sql`${{ 'Array(String)': comparedFields(rule) }}`;
	const diffs = comparedFields(rule).map((_, j) => raw(`fd_${j + 1}[i]`));
	// the state as its 1-based position in STATES (0: not in this window): a number groups faster than text
	const code = (st: KeyState) => raw(String(STATES.indexOf(st) + 1));
	return sql`
		SELECT k, i, srcAt, tAt[i] AS tgtAt, tHas[i] AS arrived, hasSrc, ${valuesText(rule, '1')} AS srcF, ${valuesText(rule, 'i + 1')} AS tgtF,
			arrived AND hasSrc AND (${diffs.length ? join(diffs, ' OR ') : raw('0')}) AS mismatch,
			${diffs.length ? sql`if(mismatch, arrayFilter((name, d) -> d, ${names}, [${join(diffs, ', ')}]), CAST([] AS Array(String)))` : raw('CAST([] AS Array(String))')} AS differs,
			multiIf(
				hasSrc AND srcAt >= ${from} AND srcAt < ${to},
					multiIf(NOT arrived, if(${required} = 0, ${code('absent')}, if(addMilliseconds(srcAt, ${grace}) > ${{ 'DateTime64(3)': w.now }}, ${code('pending')}, ${code('missing')})),
						tDup[i], ${code('duplicated')}, mismatch, ${code('mismatched')}, ${code('matched')}),
				NOT hasSrc AND arrived AND tgtAt >= ${from} AND tgtAt < ${to}, ${code('unexpected')},
				0) AS state,
			arrived AND hasSrc AND tgtAt > addMilliseconds(srcAt, ${grace}) AS late,
			if(hasSrc, srcAt, tgtAt) AS at
		FROM (${perKey(flow, rule, w)})
		ARRAY JOIN arrayEnumerate(tHas) AS i`;
}

export interface StateCount {
	/** target index, 0-based */
	target: number;
	state: KeyState;
	/** bucket index: the bucket starts at from + index × bucketSeconds */
	bucket: number;
	n: number;
	late: number;
}

/** The page's query as SQL (also what a kept result's definition hash is taken of, kept.ts). */
export function stateCountsSql(flow: string, rule: ReconRule, w: Window, bucketSeconds: number): Sql {
	return sql`
		SELECT i, state, intDiv(toUnixTimestamp64Milli(at) - ${{ Int64: w.from.getTime() }}, ${{ UInt32: bucketSeconds * 1000 }}) AS b, count() AS n, countIf(late) AS late
		FROM (${keyStates(flow, rule, w)})
		WHERE state != 0
		GROUP BY i, state, b
		SETTINGS ${QUERY_SETTINGS}`;
}

/** The page's query: per target, state and trend bucket, how many keys (and how many of them late). */
export async function stateCounts(flow: string, rule: ReconRule, w: Window, bucketSeconds: number, d: Db = db()): Promise<StateCount[]> {
	const rows = await d.query<{ i: number; state: number; b: number; n: number; late: number }>(stateCountsSql(flow, rule, w, bucketSeconds));
	return rows.map((r) => ({ target: Number(r.i) - 1, state: STATES[Number(r.state) - 1], bucket: Number(r.b), n: Number(r.n), late: Number(r.late) }));
}

export interface KeyRecord {
	key: string;
	sourceAt: number | null;
	targetAt: number | null;
	arrivals: number;
	late: boolean;
	differs: string[];
	sourceFields: Record<string, string>;
	targetFields: Record<string, string>;
}

/** The keys behind one figure (target index 0-based), oldest first, with their arrivals counted. */
export async function keysIn(flow: string, rule: ReconRule, w: Window, target: number, state: KeyState, limit: number, d: Db = db()): Promise<KeyRecord[]> {
	const fields = comparedFields(rule);
	const t = rule.targets[target];
	const rows = await d.query<{ k: string; src: number; tgt: number; hasSrc: number; arrived: number; late: number; differs: string[]; srcF: string[]; tgtF: string[] }>(sql`
		SELECT k, toUnixTimestamp64Milli(srcAt) AS src, toUnixTimestamp64Milli(tgtAt) AS tgt, hasSrc, arrived, late, differs, srcF, tgtF
		FROM (${keyStates(flow, rule, w)})
		WHERE i = ${{ UInt32: target + 1 }} AND state = ${{ UInt8: STATES.indexOf(state) + 1 }}
		ORDER BY at, k
		LIMIT ${{ UInt32: limit }}
		SETTINGS ${QUERY_SETTINGS}`);
	// distinct arrivals of the listed keys at the target (the figure itself only needs "two or more")
	const counts = rows.length
		? await d.query<{ k: string; n: number }>(sql`
			SELECT KeyValue AS k, uniqExact(PointId) AS n FROM recon_points
			WHERE ${readRange(flow, rule, w)} AND ${isPoint(t)} AND KeyValue IN ${{ 'Array(String)': rows.map((r) => r.k) }}
			GROUP BY k`)
		: [];
	const arrivals = new Map(counts.map((c) => [c.k, Number(c.n)]));
	const shown = (t.compare ?? rule.compare).map((f) => fields.indexOf(f));
	const named = (v: string[]) => Object.fromEntries(shown.filter((j) => v[j] !== '').map((j) => [fields[j], v[j]]));
	return rows.map((r) => ({
		key: r.k,
		sourceAt: Number(r.hasSrc) ? Number(r.src) : null,
		targetAt: Number(r.arrived) ? Number(r.tgt) : null,
		arrivals: arrivals.get(r.k) ?? 0,
		late: !!Number(r.late),
		differs: r.differs,
		sourceFields: Number(r.hasSrc) ? named(r.srcF) : {},
		targetFields: Number(r.arrived) ? named(r.tgtF) : {}
	}));
}

/** Columns a control total's sums can be set beside (reported sums of other fields are shown, not compared). */
export const SUMMABLE: Record<string, string> = { amount: 'Amount', quantity: 'Quantity' };

