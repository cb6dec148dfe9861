/**
 * The transaction aggregates (migration 340): per flow and minute, and per flow and hour, the figures
 * of the transactions that started then, so a dashboard merges a few rows per flow and hour instead
 * of reading one row per transaction (README.md, "Aggregates").
 *
 * The fold calls refreshMinutes() for the minutes it touched: each is recomputed completely from
 * sla_transactions (a re-folded transaction replaces its old figures: sketches cannot be
 * decremented), then each touched hour from its minute rows. New rows carry a higher version than
 * the tombstones written for the same keys, so a minute that lost all its transactions (a start
 * moved earlier) disappears, and a reader never sees a recomputed minute missing.
 */
import { raw, sql, type Db, type Sql } from '../db';
import type { Flow } from '../flows/schema';
import { binsOf } from './sketch';

const SEP = '\x1f';

/** (flow, minute) as one parameter string: flow, unit separator, epoch seconds. */
const unitKey = (flow: string, epochSeconds: number) => `${flow}${SEP}${epochSeconds}`;
const KEY_OF = (col: string) => raw(`concat(Flow, '\\x1F', toString(toUInt32(${col})))`);

/** Figures of one minute from its transactions (sla_transactions columns), the counting rules of README.md. */
const MINUTE_FIGURES = raw(`
	countIf(Outcome != 'duplicate') AS Total,
	countIf(Outcome IN ('success', '')) AS Succeeded,
	countIf(Outcome = 'failed') AS Failed,
	sum(DupSpans) AS Duplicates,
	countIf(Outcome != 'duplicate' AND (RetrySpans > 0 OR (FailedSpans > 0 AND Outcome IN ('success', '')))) AS Replays,
	count(FirstTraceMs) AS E2EN,
	quantilesDDStateIf(0.01, 0.5, 0.95, 0.99)(assumeNotNull(FirstTraceMs), FirstTraceMs IS NOT NULL) AS E2E,
	${binsOf('assumeNotNull(FirstTraceMs)', 'FirstTraceMs IS NOT NULL').text} AS E2EH,
	count(EventDelayMs) AS DelayN,
	quantilesDDStateIf(0.01, 0.5, 0.95)(assumeNotNull(EventDelayMs), EventDelayMs IS NOT NULL) AS Delay,
	${binsOf('assumeNotNull(EventDelayMs)', 'EventDelayMs IS NOT NULL').text} AS DelayH,
	CAST(sumMapIf([Currency], [Amount], Outcome = 'failed'), 'Map(LowCardinality(String), Float64)') AS FailedAmount,
	CAST(sumMapIf([Currency], [Amount], Outcome IN ('success', '')), 'Map(LowCardinality(String), Float64)') AS SucceededAmount,
	CAST(sumMapIf(Steps, arrayMap(s -> toUInt64(1), Steps), Outcome IN ('success', '')), 'Map(LowCardinality(String), UInt32)') AS Reached,
	CAST(sumMapIf(arrayMap(s -> concat(s, '\\x1F', Currency), Steps), arrayMap(s -> Amount, Steps), Outcome IN ('success', '')),
		'Map(String, Float64)') AS ReachedAmount`);

const COLUMNS = `Flow, Minute, Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, E2EH, DelayN, Delay, DelayH, FailedAmount,
	SucceededAmount, Reached, ReachedAmount, Version, Deleted`;

const HOUR_FIGURES = raw(`
	sum(Total), sum(Succeeded), sum(Failed), sum(Duplicates), sum(Replays),
	sum(E2EN), quantilesDDMergeState(0.01, 0.5, 0.95, 0.99)(E2E), sumMap(E2EH), sum(DelayN), quantilesDDMergeState(0.01, 0.5, 0.95)(Delay),
	sumMap(DelayH), sumMap(FailedAmount), sumMap(SucceededAmount), sumMap(Reached), sumMap(ReachedAmount)`);

const ver = (v: bigint) => sql`${{ UInt64: String(v) }}`;
const keys = (k: string[]) => sql`${{ 'Array(String)': k }}`;
const range = (col: string, lo: Date, hi: Date) => sql`${raw(col)} >= ${{ 'DateTime64(3)': lo }} AND ${raw(col)} < ${{ 'DateTime64(3)': hi }}`;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The whole days over [lo, hi) (ms), as ranges to recompute: how a backlog or a rebuild goes. */
export function byDay(lo: number, hi: number): Touched[] {
	const out: Touched[] = [];
	for (let t = Math.floor(lo / DAY) * DAY; t < hi; t += DAY) out.push({ minutes: null, lo: new Date(t), hi: new Date(t + DAY) });
	return out;
}

/**
 * Tombstones for every key of `k` (flow, unit separator, epoch seconds) in `table`'s time column;
 * with `specsByFlow`, one per milestone of the key's flow (the milestone tables).
 */
function tombstones(table: string, col: string, k: string[], version: bigint, specsByFlow?: Record<string, string[]>): Sql {
	const split = sql`SELECT splitByChar('\\x1F', k)[1] AS f, toDateTime(toUInt32(splitByChar('\\x1F', k)[2])) AS t FROM (SELECT arrayJoin(${keys(k)}) AS k)`;
	return specsByFlow
		? sql`
INSERT INTO ${raw(table)} (Flow, Spec, ${raw(col)}, Version, Deleted)
SELECT f, s, t, ${ver(version)}, 1 FROM (${split}) ARRAY JOIN ${{ 'Map(String, Array(String))': specsByFlow }}[f] AS s`
		: sql`
INSERT INTO ${raw(table)} (Flow, ${raw(col)}, Version, Deleted)
SELECT f, t, ${ver(version)}, 1 FROM (${split})`;
}

/**
 * Tombstones for the rows of [lo, hi) that exist now (a recomputation by range: the rows it writes
 * carry a higher version, so only units left without transactions end up deleted).
 */
function rangeTombstones(table: string, col: string, keyCols: string, lo: Date, hi: Date, version: bigint, only: Sql = sql`1`): Sql {
	return sql`
INSERT INTO ${raw(table)} (${raw(keyCols)}, ${raw(col)}, Version, Deleted)
SELECT ${raw(keyCols)}, ${raw(col)}, ${ver(version)}, 1 FROM ${raw(table)} FINAL
WHERE ${range(col, lo, hi)} AND ${only}`;
}

export interface Touched {
	/** the touched (flow, minute) keys (unitKey); null: every minute of [lo, hi) */
	minutes: string[] | null;
	lo: Date;
	hi: Date;
}

/**
 * Recompute the minute rows of `t` from sla_transactions, then the hour rows of their hours from
 * the minute rows. `versions` returns strictly increasing versions.
 */
export async function refreshMinutes(d: Db, t: Touched, versions: () => bigint): Promise<void> {
	if (t.minutes && t.minutes.length === 0) return;
	const minuteTomb = versions();
	const minuteRows = versions();
	await d.exec(sql`
INSERT INTO sla_tx_minute (${raw(COLUMNS)})
SELECT Flow, StartMinute, ${MINUTE_FIGURES}, ${ver(minuteRows)}, 0
FROM sla_transactions FINAL
WHERE ${range('StartMinute', t.lo, t.hi)}${t.minutes ? sql` AND ${KEY_OF('StartMinute')} IN ${keys(t.minutes)}` : sql``}
GROUP BY Flow, StartMinute`);
	await d.exec(t.minutes ? tombstones('sla_tx_minute', 'Minute', t.minutes, minuteTomb) : rangeTombstones('sla_tx_minute', 'Minute', 'Flow', t.lo, t.hi, minuteTomb));

	// the hours of those minutes, from their minute rows
	const [hourLo, hourHi, hours] = hoursOf(t);
	const hourTomb = versions();
	const hourRows = versions();
	await d.exec(sql`
INSERT INTO sla_tx_hour (Flow, Hour, Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, E2EH, DelayN, Delay, DelayH, FailedAmount,
	SucceededAmount, Reached, ReachedAmount, Version, Deleted)
SELECT Flow, toStartOfHour(Minute) AS H, ${HOUR_FIGURES}, ${ver(hourRows)}, 0
FROM sla_tx_minute FINAL
WHERE ${range('Minute', hourLo, hourHi)}${hours ? sql` AND ${KEY_OF('toStartOfHour(Minute)')} IN ${keys(hours)}` : sql``}
GROUP BY Flow, H`);
	await d.exec(hours ? tombstones('sla_tx_hour', 'Hour', hours, hourTomb) : rangeTombstones('sla_tx_hour', 'Hour', 'Flow', hourLo, hourHi, hourTomb));
}

/** The (flow, minute) keys of the rows a fold wrote with `version` (its transactions and tombstones). */
export async function touchedBy(d: Db, lo: Date, version: bigint): Promise<Touched> {
	const rows = await d.query<{ k: string[]; lo: number; hi: number }>(sql`
		SELECT groupUniqArray(${KEY_OF('StartMinute')}) AS k, toUInt32(min(StartMinute)) AS lo, toUInt32(max(StartMinute)) AS hi
		FROM sla_transactions WHERE StartMinute >= ${{ 'DateTime64(3)': lo }} AND Version = ${ver(version)}`);
	const r = rows[0];
	if (!r || r.k.length === 0) return { minutes: [], lo, hi: lo };
	return { minutes: r.k, lo: new Date(r.lo * 1000), hi: new Date(r.hi * 1000 + 60_000) };
}

/** Build every aggregate from sla_transactions, a day at a time (after upgrading to migration 340). */
export async function rebuildAll(d: Db, versions: () => bigint, onProgress?: (done: number, of: number) => void): Promise<void> {
	const [b] = await d.query<{ lo: number; hi: number; n: number }>(sql`
		SELECT toUInt32(min(StartMinute)) AS lo, toUInt32(max(StartMinute)) AS hi, count() AS n FROM sla_transactions`);
	if (!b || b.n === 0) return;
	const days = byDay(b.lo * 1000, b.hi * 1000 + 60_000);
	for (const [i, day] of days.entries()) {
		await refreshMinutes(d, day, versions);
		onProgress?.(i + 1, days.length);
	}
}

/** A milestone as the aggregates know it: flow, and its spec (from, to, whether `to` must have succeeded). */
export interface MilestoneKey {
	flow: string;
	from: string;
	to: string;
	requireToSucceeded?: boolean;
}

/** The milestones of a catalogue that have aggregates: each flow's milestones and its own start → end step. */
export function milestoneKeysOf(flows: Flow[]): MilestoneKey[] {
	return flows.flatMap((f) => {
		const { startStep, endStep, milestones } = f.objectives;
		const own = startStep && endStep ? [{ flow: f.id, from: startStep, to: endStep, requireToSucceeded: true }] : [];
		return [...milestones.map((m) => ({ flow: f.id, from: m.from, to: m.to })), ...own];
	});
}

const RS = '\x1e';
export const specOf = (m: MilestoneKey) => `${m.from}${RS}${m.to}${RS}${m.requireToSucceeded ? 1 : 0}`;
export const coverageOf = (m: MilestoneKey) => `${m.flow}${SEP}${specOf(m)}`;
export function fromCoverage(c: string): MilestoneKey {
	const [flow, spec] = c.split(SEP);
	const [from, to, ok] = spec.split(RS);
	return { flow, from, to, requireToSucceeded: ok === '1' };
}

/**
 * Recompute the milestone rows of `specs` for the minutes of `t` (then their hours): per flow,
 * milestone and minute the transaction started in, the same rules as milestones.ts reads one by one.
 */
export async function refreshMilestones(d: Db, specs: MilestoneKey[], t: Touched, versions: () => bigint): Promise<void> {
	if (specs.length === 0 || (t.minutes && t.minutes.length === 0)) return;
	const positions: Record<string, number[]> = {};
	const byFlow: Record<string, string[]> = {};
	specs.forEach((m, i) => {
		(positions[m.flow] ??= []).push(i + 1);
		(byFlow[m.flow] ??= []).push(specOf(m));
	});
	const flows = sql`${{ 'Array(String)': Object.keys(positions) }}`;
	// these milestones only (a milestone new to the catalogue is built beside the others)
	const ofSpecs = sql`has(${{ 'Array(String)': specs.map(coverageOf) }}, concat(Flow, '\x1F', Spec))`;
	const tomb = versions();
	const rows = versions();
	await d.exec(sql`
INSERT INTO sla_milestone_minute (Flow, Spec, Minute, N, Lat, LatH, Waiting, WaitMin, WaitMax, Version, Deleted)
SELECT Flow, ${{ 'Array(String)': specs.map(specOf) }}[mi] AS Spec, StartMinute,
	count(lat), quantilesDDStateIf(0.01, 0.5, 0.95, 0.99)(assumeNotNull(lat), lat IS NOT NULL), ${binsOf('assumeNotNull(lat)', 'lat IS NOT NULL')},
	countIf(lat IS NULL), minIf(fromStart, lat IS NULL), maxIf(fromStart, lat IS NULL), ${ver(rows)}, 0
FROM (
	SELECT Flow, StartMinute, mi, indexOf(StepNames, ${{ 'Array(String)': specs.map((m) => m.from) }}[mi]) AS fi, StepStarts[fi] AS fromStart, indexOf(StepNames, ${{ 'Array(String)': specs.map((m) => m.to) }}[mi]) AS ti,
		if(ti > 0 AND (${{ 'Array(UInt8)': specs.map((m) => (m.requireToSucceeded ? 1 : 0)) }}[mi] = 0 OR StepFailed[ti] = 0), toNullable(StepEnds[ti]), NULL) AS toEnd,
		if(toEnd IS NULL OR toEnd < fromStart, NULL, (toUnixTimestamp64Nano(assumeNotNull(toEnd)) - toUnixTimestamp64Nano(fromStart)) / 1e6) AS lat
	FROM (
		SELECT Flow, StartMinute, StepNames, StepStarts, StepEnds, StepFailed FROM sla_transactions FINAL
		WHERE Flow IN ${flows} AND ${range('StartMinute', t.lo, t.hi)}${t.minutes ? sql` AND ${KEY_OF('StartMinute')} IN ${keys(t.minutes)}` : sql``}
	)
	ARRAY JOIN ${{ 'Map(String, Array(UInt32))': positions }}[Flow] AS mi
	WHERE fi > 0
)
GROUP BY Flow, Spec, StartMinute`);
	await d.exec(t.minutes ? tombstones('sla_milestone_minute', 'Minute', t.minutes, tomb, byFlow) : rangeTombstones('sla_milestone_minute', 'Minute', 'Flow, Spec', t.lo, t.hi, tomb, ofSpecs));

	const [hourLo, hourHi, hours] = hoursOf(t);
	const hourTomb = versions();
	const hourRows = versions();
	await d.exec(sql`
INSERT INTO sla_milestone_hour (Flow, Spec, Hour, N, Lat, LatH, Waiting, WaitMin, WaitMax, Version, Deleted)
SELECT Flow, Spec, toStartOfHour(Minute) AS H, sum(N), quantilesDDMergeState(0.01, 0.5, 0.95, 0.99)(Lat), sumMap(LatH), sum(Waiting),
	minIf(WaitMin, Waiting > 0), maxIf(WaitMax, Waiting > 0), ${ver(hourRows)}, 0
FROM sla_milestone_minute FINAL
WHERE Flow IN ${flows} AND Spec IN ${{ 'Array(String)': [...new Set(specs.map(specOf))] }} AND ${range('Minute', hourLo, hourHi)}
	${hours ? sql` AND ${KEY_OF('toStartOfHour(Minute)')} IN ${keys(hours)}` : sql``}
GROUP BY Flow, Spec, H`);
	await d.exec(hours ? tombstones('sla_milestone_hour', 'Hour', hours, hourTomb, byFlow) : rangeTombstones('sla_milestone_hour', 'Hour', 'Flow, Spec', hourLo, hourHi, hourTomb, ofSpecs));
}

/** The whole hours around the minutes of `t`, and their keys (unitKey) when the minutes are named. */
function hoursOf(t: Touched): [Date, Date, string[] | null] {
	const hours = t.minutes
		? [
				...new Set(
					t.minutes.map((k) => {
						const i = k.lastIndexOf(SEP);
						return unitKey(k.slice(0, i), Math.floor(Number(k.slice(i + 1)) / 3600) * 3600);
					})
				)
			]
		: null;
	return [new Date(Math.floor(t.lo.getTime() / HOUR) * HOUR), new Date(Math.ceil(t.hi.getTime() / HOUR) * HOUR), hours];
}

/** Build the milestone rows of `specs` over everything folded so far, a day at a time. */
export async function rebuildMilestones(d: Db, specs: MilestoneKey[], versions: () => bigint): Promise<void> {
	const [b] = await d.query<{ lo: number; hi: number; n: number }>(sql`
		SELECT toUInt32(min(StartMinute)) AS lo, toUInt32(max(StartMinute)) AS hi, count() AS n FROM sla_transactions
		WHERE Flow IN ${{ 'Array(String)': [...new Set(specs.map((m) => m.flow))] }}`);
	if (!b || b.n === 0) return;
	for (const day of byDay(b.lo * 1000, b.hi * 1000 + 60_000)) await refreshMilestones(d, specs, day, versions);
}
