/**
 * Live figures: the SLA aggregates mirrored in the console's memory, so a dashboard merges in-memory
 * rows instead of sending ClickHouse queries that cost more to plan than to run (README.md, "Live
 * figures"): the transaction and milestone aggregates (migrations 340, 350), the failed transactions,
 * the step and dead-letter rollups (360).
 *
 * What is kept: every hour row, and the minute rows of the last MINUTE_HORIZON (plus the minutes of
 * older hours a window starts or ends in, loaded when first asked for). Quantiles come from DDSketch
 * bins (sketch.ts), equal to ClickHouse's quantilesDD.
 *
 * How it stays current: the process that folds refreshes it at the end of every fold (fold.ts). The
 * aggregates are versioned (a wall-clock version above every earlier one, tombstones included), so
 * "Version > last seen" is exactly what changed; the insert-time rollups have block numbers. A page
 * therefore shows the figures of the last completed fold, like before. A process that does not fold
 * (or before the first load) reads ClickHouse.
 */
import { config } from '../config';
import { raw, sql, type Db, type Sql } from '../db';
import { at, BlockMirror, HOUR, hourRanges, Level, MINUTE, starts, type Stored } from './live-store';
import {
	decodeMs,
	decodeRisk,
	decodeTx,
	deadLetterMirror,
	MS_COLUMNS,
	RISK_COLUMNS,
	stepMirror,
	TX_COLUMNS,
	type MilestoneUnit,
	type RiskTx,
	type StepUnit,
	type TxUnit
} from './live-rows';

export { forUnits, newer, type Level, type Stored } from './live-store';
export type { MilestoneUnit, RiskTx, StepUnit, TxUnit } from './live-rows';

/** how far back minute rows are kept (the 24 h overview's sparkline, plus slack; older edge hours are read on first use) */
const MINUTE_HORIZON = 26 * HOUR;
/** rows a refresh reads again below the last version seen (another process's fold committing late) */
const OVERLAP_NS = 10_000_000_000n;
/** older hours whose minutes are kept at most (window edges of 7 and 30 days back) */
const MAX_EXTRA_HOURS = 2000;

interface Table<U> {
	name: string;
	/** time column */
	col: 'Minute' | 'Hour';
	/** key columns as one string */
	key: string;
	columns: string;
	/** one row as kept: a literal of fixed shape (read for every unit of every page) */
	decode(r: Record<string, unknown>, v: bigint, del: boolean): Stored<U>;
	level: Level<U>;
	watermark: bigint;
}

export interface Live {
	/** readers' sums of whole-hour segments (kpis.ts), dropped with the mirror */
	sums: Map<string, unknown>;
	/** sla_step_minute per 'flow\x1Fstep' */
	stepMirror: BlockMirror<StepUnit>;
	/** sla_dead_letters_minute per flow */
	deadLetterMirror: BlockMirror<{ n: number }>;
	/** failed transactions per flow and start minute (number), every minute (not only the horizon) */
	failed: Map<string, Map<number, RiskTx[]>>;
	txHour: Level<TxUnit>;
	txMinute: Level<TxUnit>;
	msHour: Level<MilestoneUnit>;
	msMinute: Level<MilestoneUnit>;
}

interface LiveState extends Live {
	/** holders (startFolding loops, tests): kept while above 0 */
	holders: number;
	ready: boolean;
	tables: Table<TxUnit | MilestoneUnit>[];
	/** minute rows are kept from here (ms, an hour start), and for the extra hours */
	minuteFrom: number;
	extraHours: Set<number>;
	/** the last version of sla_tx_minute whose failed transactions are in `failed` */
	failedWatermark: bigint;
	/** succeeded transactions short of a step, per 'flow\x1Fminute' then step: read when a window needs them (stuck) */
	shortOf: Map<string, Map<string, RiskTx[]>>;
	/** every read and write of the mirror's rows goes through this chain, one at a time */
	chain: Promise<unknown>;
}

const KEY = Symbol.for('syncscope.sla.live');
function state(d: Db): LiveState {
	const g = globalThis as unknown as Record<symbol, WeakMap<Db, LiveState>>;
	const all = (g[KEY] ??= new WeakMap());
	let s = all.get(d);
	if (!s) all.set(d, (s = fresh()));
	return s;
}

function fresh(): LiveState {
	const txHour = new Level<TxUnit>();
	const txMinute = new Level<TxUnit>();
	const msHour = new Level<MilestoneUnit>();
	const msMinute = new Level<MilestoneUnit>();
	const table = <U>(name: string, col: 'Minute' | 'Hour', key: string, columns: string, decode: (r: Record<string, unknown>, v: bigint, del: boolean) => Stored<U>, level: Level<U>) =>
		({ name, col, key, columns, decode, level, watermark: 0n }) as unknown as Table<TxUnit | MilestoneUnit>;
	return {
		sums: new Map(),
		stepMirror: stepMirror(),
		deadLetterMirror: deadLetterMirror(),
		failed: new Map(),
		failedWatermark: 0n,
		shortOf: new Map(),
		txHour,
		txMinute,
		msHour,
		msMinute,
		holders: 0,
		ready: false,
		tables: [
			table('sla_tx_hour', 'Hour', 'Flow', TX_COLUMNS, decodeTx, txHour),
			table('sla_tx_minute', 'Minute', 'Flow', TX_COLUMNS, decodeTx, txMinute),
			table('sla_milestone_hour', 'Hour', `concat(Flow, '\\x1F', Spec)`, MS_COLUMNS, decodeMs, msHour),
			table('sla_milestone_minute', 'Minute', `concat(Flow, '\\x1F', Spec)`, MS_COLUMNS, decodeMs, msMinute)
		],
		minuteFrom: 0,
		extraHours: new Set(),
		chain: Promise.resolve()
	};
}

/** Keep the live figures of `d` (the fold refreshes them); returns the release function. */
export function holdLive(d: Db): () => void {
	const s = state(d);
	s.holders++;
	let released = false;
	return () => {
		if (released) return;
		released = true;
		if (--s.holders === 0) Object.assign(s, fresh());
	};
}

/** The live figures when loaded (null: read ClickHouse). */
export function live(d: Db): Live | null {
	const s = state(d);
	return s.holders > 0 && s.ready ? s : null;
}

const serial = <T>(s: LiveState, f: () => Promise<T>): Promise<T> => {
	const run = s.chain.then(f, f);
	s.chain = run.catch(() => undefined);
	return run;
};

/**
 * Load the step and dead-letter mirrors anew: they follow new rows by block number and never drop a
 * flow or step whose rows were deleted (a re-interpret job rewrote them). In the mirror's chain, so
 * no refresh interleaves; the readers' sums go with them. False when no mirror is held.
 */
export async function reloadRollupMirrors(main: Db): Promise<boolean> {
	const s = state(main);
	if (!(s.holders > 0 && s.ready)) return false;
	const d = main.background?.() ?? main;
	await serial(s, async () => {
		const steps = stepMirror();
		const deadLetters = deadLetterMirror();
		await steps.load(d);
		await deadLetters.load(d);
		s.stepMirror = steps;
		s.deadLetterMirror = deadLetters;
		s.sums.clear();
	});
	return true;
}


/** Which minute rows a table keeps: the horizon, and the extra hours. */
function minuteFilter(s: LiveState, col: string): Sql {
	const extra = [...s.extraHours];
	return sql`(${raw(col)} >= ${at(s.minuteFrom)}${extra.length ? sql` OR toStartOfHour(${raw(col)}) IN ${starts(extra)}` : sql``})`;
}

async function readRows(d: Db, t: Table<TxUnit | MilestoneUnit>, where: Sql, final: boolean): Promise<bigint> {
	const rows = await d.query<Record<string, unknown> & { k: string; t: number; v: string; del: number }>(sql`
		SELECT ${raw(t.key)} AS k, toUnixTimestamp(${raw(t.col)}) AS t, toString(Version) AS v, Deleted AS del, ${raw(t.columns)}
		FROM ${raw(t.name)}${raw(final ? ' FINAL' : '')} WHERE ${where}`);
	let top = 0n;
	for (const r of rows) {
		const v = BigInt(r.v);
		if (v > top) top = v;
		t.level.apply(r.k, r.t * 1000, t.decode(r, v, r.del === 1));
	}
	return top;
}

/**
 * Bring the live figures up to date with the aggregates (the fold calls this after each fold): the
 * first time a full load, then the rows written since. On failure the mirror is dropped (readers go
 * to ClickHouse) and loaded again next time.
 */
export async function refreshLive(main: Db): Promise<void> {
	const s = state(main);
	if (s.holders === 0) return;
	// background work, like the fold: its statements yield the CPU to page queries
	const d = main.background?.() ?? main;
	await serial(s, async () => {
		try {
			const horizon = Math.floor((Date.now() - MINUTE_HORIZON) / HOUR) * HOUR;
			if (!s.ready) {
				s.minuteFrom = horizon;
				for (const t of s.tables) {
					// the newest version first: rows committed during the load are read again next time
					const [{ v }] = await d.query<{ v: string }>(sql`SELECT toString(max(Version)) AS v FROM ${raw(t.name)}`);
					await readRows(d, t, t.col === 'Minute' ? minuteFilter(s, t.col) : sql`1`, true);
					t.watermark = BigInt(v);
				}
				// from the version sla_tx_minute's load started at: what changed since is read again
				await readFailed(d, s, sql`Outcome = 'failed'`);
				s.failedWatermark = s.tables.find((t) => t.name === 'sla_tx_minute')!.watermark;
				await s.stepMirror.load(d);
				await s.deadLetterMirror.load(d);
				s.ready = true;
				return;
			}
			for (const t of s.tables) {
				const since = t.watermark > OVERLAP_NS ? t.watermark - OVERLAP_NS : 0n;
				const where = sql`Version > ${{ UInt64: String(since) }}${t.col === 'Minute' ? sql` AND ${minuteFilter(s, t.col)}` : sql``}`;
				const top = await readRows(d, t, where, false);
				if (top > t.watermark) t.watermark = top;
			}
			await refreshFailed(d, s);
			await s.stepMirror.refresh(d);
			await s.deadLetterMirror.refresh(d);
			if (horizon > s.minuteFrom) {
				s.minuteFrom = horizon;
				for (const t of s.tables) if (t.col === 'Minute') t.level.prune(horizon, s.extraHours);
				s.stepMirror.prune(horizon);
				s.deadLetterMirror.prune(horizon);
				// what the tables' TTL has dropped (retention.ts) goes from the mirror too, hourly
				const traces = Date.now() - config().ttlTracesDays * 86_400_000;
				for (const t of s.tables) t.level.prune(traces, new Set());
				s.stepMirror.hour.prune(traces, new Set());
				s.deadLetterMirror.hour.prune(Date.now() - config().ttlLogsDays * 86_400_000, new Set());
				for (const m of s.failed.values()) for (const n of m.keys()) if (n * MINUTE < traces) m.delete(n);
			}
		} catch (e) {
			const holders = s.holders;
			Object.assign(s, fresh(), { holders });
			console.error(`sla live figures: ${(e as Error).message}; reading ClickHouse until the next fold`);
		}
	});
}

/** Make the minute rows of these hours available in the step or the dead-letter mirror (a window's edge hours). */
export async function blockMinutesOf(d: Db, hours: number[], which: 'steps' | 'deadLetters'): Promise<boolean> {
	const s = state(d);
	const m = which === 'steps' ? s.stepMirror : s.deadLetterMirror;
	if (hours.every((h) => m.hours.has(h))) return s.ready;
	return serial(s, async () => {
		if (!s.ready) return false;
		await m.minutesOf(d, hours);
		return true;
	});
}

/** Read failed transactions into the mirror (replacing the lists of the minutes read). */
async function readFailed(d: Db, s: LiveState, where: Sql): Promise<void> {
	const rows = await d.query<Record<string, unknown> & { f: string; t: number }>(sql`
		SELECT Flow AS f, toUnixTimestamp(StartMinute) AS t, ${raw(RISK_COLUMNS)} FROM sla_transactions FINAL WHERE ${where}`);
	const seen = new Set<string>();
	for (const r of rows) {
		let m = s.failed.get(r.f);
		if (!m) s.failed.set(r.f, (m = new Map()));
		const n = (r.t / 60) | 0;
		const k = `${r.f}\x1f${n}`;
		if (!seen.has(k)) {
			seen.add(k);
			m.set(n, []);
		}
		m.get(n)!.push(decodeRisk(r));
	}
}

/**
 * The minutes whose rows changed since the last refresh (any age: late telemetry rewrites old
 * minutes too): their failed transactions read again, and their stuck candidates forgotten.
 */
async function refreshFailed(d: Db, s: LiveState): Promise<void> {
	const since = s.failedWatermark > OVERLAP_NS ? s.failedWatermark - OVERLAP_NS : 0n;
	const changed = await d.query<{ f: string; t: number; failed: number; del: number; v: string }>(sql`
		SELECT Flow AS f, toUnixTimestamp(Minute) AS t, Failed AS failed, Deleted AS del, toString(Version) AS v
		FROM sla_tx_minute WHERE Version > ${{ UInt64: String(since) }} ORDER BY Version`);
	if (changed.length === 0) return;
	const last = new Map<string, { f: string; n: number; failed: boolean }>();
	for (const r of changed) {
		const v = BigInt(r.v);
		if (v > s.failedWatermark) s.failedWatermark = v;
		const n = (r.t / 60) | 0;
		last.set(`${r.f}\x1f${n}`, { f: r.f, n, failed: r.del === 0 && r.failed > 0 });
	}
	const reread: string[] = [];
	// (a loop, not Math.min(...): after a large fold this is hundreds of thousands of minutes)
	let first = Infinity;
	for (const [k, c] of last) {
		if (c.n < first) first = c.n;
		s.shortOf.delete(k);
		s.failed.get(c.f)?.delete(c.n);
		if (c.failed) reread.push(`${c.f}\x1f${c.n * 60}`);
	}
	if (reread.length)
		await readFailed(d, s, sql`Outcome = 'failed' AND concat(Flow, '\x1F', toString(toUInt32(StartMinute))) IN ${{ 'Array(String)': reread }}
			AND StartMinute >= ${at(first * MINUTE)}`);
}

/**
 * Succeeded transactions of these minutes (numbers) of a flow that did not reach `step` (stuck
 * candidates: few, so read when a window needs them and kept until their minute changes).
 */
export async function shortOf(d: Db, flow: string, step: string, minutes: number[]): Promise<Map<number, RiskTx[]>> {
	const s = state(d);
	const out = new Map<number, RiskTx[]>();
	const todo = minutes.filter((n) => {
		const got = s.shortOf.get(`${flow}\x1f${n}`)?.get(step);
		if (got) out.set(n, got);
		return !got;
	});
	if (todo.length === 0) return out;
	return serial(s, async () => {
		const rows = await d.query<Record<string, unknown> & { t: number }>(sql`
			SELECT toUnixTimestamp(StartMinute) AS t, ${raw(RISK_COLUMNS)} FROM sla_transactions FINAL
			WHERE Flow = ${{ String: flow }} AND StartMinute IN ${starts(todo.map((n) => n * MINUTE))}
				AND Outcome IN ('success', '') AND NOT has(Steps, ${{ String: step }})`);
		for (const n of todo) out.set(n, []);
		for (const r of rows) out.get((r.t / 60) | 0)!.push(decodeRisk(r));
		for (const n of todo) {
			const k = `${flow}\x1f${n}`;
			if (!s.shortOf.has(k)) s.shortOf.set(k, new Map());
			s.shortOf.get(k)!.set(step, out.get(n)!);
		}
		return out;
	});
}

/**
 * Make the minute rows of these hours (ms, hour starts) available, loading those older than the
 * horizon once (a window's first and last hour, 7 or 30 days back). False when the mirror is gone.
 */
export async function minutesOf(d: Db, hours: number[]): Promise<boolean> {
	const s = state(d);
	const missing = [...new Set(hours)].filter((h) => h < s.minuteFrom && !s.extraHours.has(h));
	if (missing.length === 0) return s.ready;
	return serial(s, async () => {
		if (!s.ready) return false;
		const todo = missing.filter((h) => h < s.minuteFrom && !s.extraHours.has(h));
		if (todo.length === 0) return true;
		if (s.extraHours.size + todo.length > MAX_EXTRA_HOURS) {
			for (const t of s.tables) if (t.col === 'Minute') t.level.prune(s.minuteFrom, new Set());
			s.extraHours.clear();
		}
		for (const t of s.tables) if (t.col === 'Minute') await readRows(d, t, hourRanges(todo), true);
		for (const h of todo) s.extraHours.add(h);
		return true;
	});
}
