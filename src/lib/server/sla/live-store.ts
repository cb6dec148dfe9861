/**
 * Storage of the live figures (live.ts): rows per key and unit start with ReplacingMergeTree's rule
 * (highest version wins, tombstones included), and the mirror of an insert-time rollup refreshed by
 * block numbers; and how a window is cut into the stored units (forUnits: whole hours and minutes).
 */
import { raw, sql, type Db, type Sql } from '../db';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export const at = (v: number) => sql`${{ 'DateTime64(3)': new Date(v) }}`;

/** `Minute` within any of these hours (ms, hour starts). */
export function hourRanges(hours: number[]): Sql {
	let where = sql`0`;
	for (const h of hours) where = sql`${where} OR (Minute >= ${at(h)} AND Minute < ${at(h + HOUR)})`;
	return sql`(${where})`;
}

/**
 * Unit starts (ms) as one `Array(DateTime)` parameter. As text without milliseconds: server-side
 * binding (HTTP) does not parse a DateTime with a fraction, which sql.ts writes for a Date.
 */
export const starts = (ts: number[]) => sql`${{ 'Array(DateTime)': ts.map((t) => new Date(t).toISOString().slice(0, 19).replace('T', ' ')) }}`;

/** Highest block number of the part a row is in (part names are partition_min_max_level[_mutation]). */
const PART_MAX_BLOCK = raw(`toUInt64(splitByChar('_', _part)[3])`);

/**
 * Rows of a table with block numbers committed after `mark`: the row's own block number (kept through
 * merges), after skipping every part whose highest block is not above the mark.
 */
export const newer = (mark: number) => sql`${PART_MAX_BLOCK} > ${{ UInt64: mark }} AND _block_number > ${{ UInt64: mark }}`;

export type Stored<U> = U & { v: bigint; del: boolean };

/**
 * Rows of one aggregate table: key (flow, or flow + milestone spec) → unit start → row. Starts are
 * kept as minute numbers (epoch ms / 60,000: small integers, which a Map hashes fastest).
 */
export class Level<U> {
	readonly rows = new Map<string, Map<number, Stored<U>>>();

	/** Keep the row with the highest version per key, tombstones included (as ReplacingMergeTree FINAL). */
	apply(key: string, t: number, row: Stored<U>): void {
		let m = this.rows.get(key);
		if (!m) this.rows.set(key, (m = new Map()));
		const n = (t / MINUTE) | 0;
		const cur = m.get(n);
		if (!cur || row.v >= cur.v) m.set(n, row);
	}

	/** The rows of a key (minute number → row; tombstones have `del`). */
	of(key: string): Map<number, Stored<U>> | undefined {
		return this.rows.get(key);
	}

	/** Drop rows before `t` (ms) except in `keep` hours. */
	prune(before: number, keep: Set<number>): void {
		for (const m of this.rows.values())
			for (const n of m.keys()) if (n * MINUTE < before && !keep.has(Math.floor((n * MINUTE) / HOUR) * HOUR)) m.delete(n);
	}
}

/**
 * The mirror of a rollup fed by a materialized view at insert time (no versions): per key, a row per
 * hour, and the minute rows of some hours — the hours touched since the mirror was loaded (its
 * minutes are how an hour is summed again) and a window's edge hours. The table has block numbers
 * (migration 360): a refresh reads again the minutes of the rows committed since the last one.
 * Values are finalized per minute (distinct counts per minute add up: a span or a record has one
 * timestamp) and summed in memory per hour.
 */
export class BlockMirror<U> {
	readonly hour = new Level<U>();
	readonly minute = new Level<U>();
	/** hours whose minute rows are kept (ms) */
	readonly hours = new Set<number>();
	private mark = 0;

	constructor(
		readonly table: string,
		/** the key (a String expression) and the finalized values of a group of rows */
		private readonly key: string,
		private readonly columns: string,
		private readonly decode: (r: Record<string, unknown>) => Stored<U>,
		private readonly sum: (units: U[]) => Stored<U>
	) {}

	private async top(d: Db): Promise<number> {
		const [r] = await d.query<{ top: number }>(sql`
			SELECT max(max_block_number) AS top FROM system.parts WHERE database = currentDatabase() AND active AND table = ${{ String: this.table }}`);
		return Number(r?.top ?? 0);
	}

	/** Rows per hour or per minute where `where` holds, replacing those units. */
	private async read(d: Db, unit: 'Hour' | 'Minute', where: Sql): Promise<void> {
		const t = unit === 'Hour' ? 'toStartOfHour(Minute)' : 'Minute';
		const rows = await d.query<Record<string, unknown> & { k: string; t: number }>(sql`
			SELECT ${raw(this.key)} AS k, toUnixTimestamp(${raw(t)}) AS t, ${raw(this.columns)} FROM ${raw(this.table)} WHERE ${where} GROUP BY k, t`);
		const level = unit === 'Hour' ? this.hour : this.minute;
		for (const r of rows) level.apply(r.k, r.t * 1000, this.decode(r));
	}

	async load(d: Db): Promise<void> {
		this.mark = await this.top(d);
		await this.read(d, 'Hour', sql`1`);
	}

	/** The minutes of rows committed since the last refresh read again, and their hours summed. */
	async refresh(d: Db): Promise<void> {
		const top = await this.top(d);
		if (top <= this.mark) return;
		const touched = await d.query<{ t: number }>(sql`SELECT DISTINCT toUnixTimestamp(Minute) AS t FROM ${raw(this.table)} WHERE ${newer(this.mark)}`);
		this.mark = top;
		const minutes = touched.map((r) => r.t * 1000);
		const hours = [...new Set(minutes.map((t) => Math.floor(t / HOUR) * HOUR))];
		const known = minutes.filter((t) => this.hours.has(Math.floor(t / HOUR) * HOUR));
		await this.minutesOf(d, hours);
		if (known.length) await this.read(d, 'Minute', sql`Minute IN ${starts(known)}`);
		for (const [key, rows] of this.minute.rows)
			for (const h of hours) {
				const units: U[] = [];
				for (let n = (h / MINUTE) | 0; n < ((h / MINUTE) | 0) + 60; n++) {
					const u = rows.get(n);
					if (u) units.push(u);
				}
				if (units.length) this.hour.apply(key, h, this.sum(units));
			}
	}

	/** Keep the minute rows of these hours (ms), reading those not kept yet. */
	async minutesOf(d: Db, hours: number[]): Promise<void> {
		const todo = [...new Set(hours)].filter((h) => !this.hours.has(h));
		if (todo.length === 0) return;
		await this.read(d, 'Minute', hourRanges(todo));
		for (const h of todo) this.hours.add(h);
	}

	/** Forget the minutes of hours before `t` (ms). */
	prune(t: number): void {
		for (const h of this.hours) if (h < t) this.hours.delete(h);
		this.minute.prune(t, this.hours);
	}

	/** The keys kept. */
	keys(): IterableIterator<string> {
		return this.hour.rows.keys();
	}
}

/**
 * Calls `fn` with the units that partition [from, to) (ms, minute-aligned), as the ClickHouse readers
 * take them: whole hours inside the range not cut by any of `cuts`, the minutes of every other hour
 * (`hours` false: minutes only); start and length in ms. False when some minutes are not kept (the
 * caller reads ClickHouse).
 */
export async function forUnits<U>(
	/** makes the minute rows of these hours available (minutesOf, blockMinutesOf); false: they are not */
	keep: (hours: number[]) => Promise<boolean>,
	hourLevel: Level<U>,
	minuteLevel: Level<U>,
	key: string,
	from: number,
	to: number,
	cuts: number[],
	hours: boolean,
	fn: (t: number, len: number, u: U) => void
): Promise<boolean> {
	const minuteHours: number[] = [];
	const hourRows = hourLevel.of(key);
	for (let h = Math.floor(from / HOUR) * HOUR; h < to; h += HOUR) {
		const whole = hours && h >= from && h + HOUR <= to && !cuts.some((c) => c > h && c < h + HOUR);
		if (!whole) minuteHours.push(h);
		else {
			const u = hourRows?.get((h / MINUTE) | 0);
			if (u && !u.del) fn(h, HOUR, u);
		}
	}
	if (minuteHours.length && !(await keep(minuteHours))) return false;
	const minutes = minuteLevel.of(key);
	if (!minutes) return true;
	const [lo, hi] = [(from / MINUTE) | 0, (to / MINUTE) | 0];
	if (minuteHours.length * 60 < minutes.size / 4) {
		// a few hours of minutes: look them up
		for (const h of minuteHours)
			for (let n = (Math.max(h, from) / MINUTE) | 0, end = (Math.min(h + HOUR, to) / MINUTE) | 0; n < end; n++) {
				const u = minutes.get(n);
				if (u && !u.del) fn(n * MINUTE, MINUTE, u);
			}
	} else {
		// most of the kept minutes: one pass over them (not in time order)
		const all = !hours;
		const wanted = new Set(minuteHours.map((h) => (h / HOUR) | 0));
		minutes.forEach((u, n) => {
			if (n >= lo && n < hi && !u.del && (all || wanted.has((n / 60) | 0))) fn(n * MINUTE, MINUTE, u);
		});
	}
	return true;
}

