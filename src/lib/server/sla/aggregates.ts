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

const SEP = '\x1f';

/** (flow, minute) as one parameter string: flow, unit separator, epoch seconds. */
export const unitKey = (flow: string, epochSeconds: number) => `${flow}${SEP}${epochSeconds}`;
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
	count(EventDelayMs) AS DelayN,
	quantilesDDStateIf(0.01, 0.5, 0.95)(assumeNotNull(EventDelayMs), EventDelayMs IS NOT NULL) AS Delay,
	CAST(sumMapIf([Currency], [Amount], Outcome = 'failed'), 'Map(LowCardinality(String), Float64)') AS FailedAmount,
	CAST(sumMapIf([Currency], [Amount], Outcome IN ('success', '')), 'Map(LowCardinality(String), Float64)') AS SucceededAmount,
	CAST(sumMapIf(Steps, arrayMap(s -> toUInt64(1), Steps), Outcome IN ('success', '')), 'Map(LowCardinality(String), UInt32)') AS Reached,
	CAST(sumMapIf(arrayMap(s -> concat(s, '\\x1F', Currency), Steps), arrayMap(s -> Amount, Steps), Outcome IN ('success', '')),
		'Map(String, Float64)') AS ReachedAmount`);

const COLUMNS = `Flow, Minute, Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, DelayN, Delay, FailedAmount,
	SucceededAmount, Reached, ReachedAmount, Version, Deleted`;

const HOUR_FIGURES = raw(`
	sum(Total), sum(Succeeded), sum(Failed), sum(Duplicates), sum(Replays),
	sum(E2EN), quantilesDDMergeState(0.01, 0.5, 0.95, 0.99)(E2E), sum(DelayN), quantilesDDMergeState(0.01, 0.5, 0.95)(Delay),
	sumMap(FailedAmount)`);

const ver = (v: bigint) => sql`${{ UInt64: String(v) }}`;
const keys = (k: string[]) => sql`${{ 'Array(String)': k }}`;

/** Tombstones for every key of `k` (flow, unit separator, epoch seconds) in `table`'s time column. */
function tombstones(table: 'sla_tx_minute' | 'sla_tx_hour', k: string[], version: bigint): Sql {
	const col = table === 'sla_tx_minute' ? 'Minute' : 'Hour';
	return sql`
INSERT INTO ${raw(table)} (Flow, ${raw(col)}, Version, Deleted)
SELECT splitByChar('\\x1F', k)[1], toDateTime(toUInt32(splitByChar('\\x1F', k)[2])), ${ver(version)}, 1
FROM (SELECT arrayJoin(${keys(k)}) AS k)`;
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
	const range = (col: string, lo: Date, hi: Date) =>
		sql`${raw(col)} >= ${{ 'DateTime64(3)': lo }} AND ${raw(col)} < ${{ 'DateTime64(3)': hi }}`;
	const minuteTomb = versions();
	const minuteRows = versions();
	await d.exec(sql`
INSERT INTO sla_tx_minute (${raw(COLUMNS)})
SELECT Flow, StartMinute, ${MINUTE_FIGURES}, ${ver(minuteRows)}, 0
FROM sla_transactions FINAL
WHERE ${range('StartMinute', t.lo, t.hi)}${t.minutes ? sql` AND ${KEY_OF('StartMinute')} IN ${keys(t.minutes)}` : sql``}
GROUP BY Flow, StartMinute`);
	if (t.minutes) await d.exec(tombstones('sla_tx_minute', t.minutes, minuteTomb));

	// the hours of those minutes, from their minute rows
	const hourLo = new Date(Math.floor(t.lo.getTime() / 3_600_000) * 3_600_000);
	const hourHi = new Date(Math.ceil(t.hi.getTime() / 3_600_000) * 3_600_000);
	const hours = t.minutes
		? [...new Set(t.minutes.map((k) => {
				const i = k.lastIndexOf(SEP);
				return unitKey(k.slice(0, i), Math.floor(Number(k.slice(i + 1)) / 3600) * 3600);
			}))]
		: null;
	const hourTomb = versions();
	const hourRows = versions();
	await d.exec(sql`
INSERT INTO sla_tx_hour (Flow, Hour, Total, Succeeded, Failed, Duplicates, Replays, E2EN, E2E, DelayN, Delay, FailedAmount, Version, Deleted)
SELECT Flow, toStartOfHour(Minute) AS H, ${HOUR_FIGURES}, ${ver(hourRows)}, 0
FROM sla_tx_minute FINAL
WHERE ${range('Minute', hourLo, hourHi)}${hours ? sql` AND ${KEY_OF('toStartOfHour(Minute)')} IN ${keys(hours)}` : sql``}
GROUP BY Flow, H`);
	if (hours) await d.exec(tombstones('sla_tx_hour', hours, hourTomb));
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
	const DAY = 86_400_000;
	const first = Math.floor((b.lo * 1000) / DAY) * DAY;
	const days = Math.floor((b.hi * 1000 - first) / DAY) + 1;
	for (let i = 0; i < days; i++) {
		await refreshMinutes(d, { minutes: null, lo: new Date(first + i * DAY), hi: new Date(first + (i + 1) * DAY) }, versions);
		onProgress?.(i + 1, days);
	}
}
