/**
 * The fold: finalises transactions into sla_transactions (migration 330), so dashboards read one
 * row per transaction instead of grouping every transaction of the window on each page view.
 *
 * Each fold reads only what is new: rows of the sla_tx_traces / sla_tx_steps rollups whose block
 * number is above the last fold's (MergeTree numbers blocks at commit, so nothing committed later
 * can hide below it; rows keep their number through merges). It
 * collects the transactions those rows belong to and recomputes each of them completely from all
 * of its rollup rows since its first minute minus the look-back, under the counting rules of
 * README.md, writing them with a higher Version. A transaction whose first minute moved gets a
 * tombstone under its old key. Folding the same rows again writes the same figures: it is safe to
 * re-run after a crash or from two consoles.
 */
import { config } from '../config';
import { db, raw, sql, type Db, type Sql } from '../db';
import type { Flow } from '../flows/schema';
import { holdLive, newer, refreshLive } from './live';
import { coverageOf, fromCoverage, milestoneKeysOf, byDay, rebuildAll, rebuildMilestones, refreshMilestones, refreshMinutes, touchedBy, type MilestoneKey, type Touched } from './aggregates';

const SOURCES = ['sla_tx_traces', 'sla_tx_steps'] as const;
type Source = (typeof SOURCES)[number];
type Marks = Record<Source, number>;


/**
 * A set of transactions as one query parameter: flow and correlation ID joined by the ASCII unit
 * separator (parameters cannot be arrays of tuples). `${KEY_OF} IN keySet(…)` is a set lookup.
 */
type Key = string;
const SEP = '\x1f';
const keyOf = (flow: string, correlationId: string): Key => `${flow}${SEP}${correlationId}`;
const KEY_OF = raw(`concat(Flow, '\\x1F', CorrelationId)`);
const keySet = (keys: Key[]) => sql`${{ 'Array(String)': keys }}`;

/**
 * sla_fold_state rows saying the aggregates are built (migrations 340 + 350: '@2' since the histograms
 * of 350), and, per milestone, that its aggregates are (the prefix, then coverageOf). A database
 * without them gets every aggregate rebuilt by its next fold.
 */
const AGGREGATES_MARK = 'aggregates@2';
const MILESTONE_MARK = 'ms@2\x1F';

/** Transactions folded per statement: bounds the parameter size and the memory of one fold query. */
const CHUNK = 20_000;

/** Milliseconds between two DateTime64(9) expressions. */
const MS = (a: string, b: string) => raw(`(toUnixTimestamp64Nano(${b}) - toUnixTimestamp64Nano(${a})) / 1e6`);

/**
 * The transactions of `keys`, recomputed from every rollup row since `lo`: the same rules the
 * live query of earlier versions applied per page view (README.md), written as one row each.
 */
function foldInsert(keys: Key[], lo: Date, version: bigint): Sql {
	const since = sql`StartMinute >= ${{ 'DateTime64(3)': lo }} AND ${KEY_OF} IN ${keySet(keys)}`;
	return sql`
INSERT INTO sla_transactions (Flow, StartMinute, CorrelationId, Start, Outcome, Step, System, ErrClass, ErrCode, FirstTraceMs,
	Amount, Currency, Partner, EventDelayMs, FailedSpans, RetrySpans, DupSpans, Steps, StepNames, StepStarts, StepEnds, StepFailed,
	LastStepStart, Version, Deleted)
SELECT Flow, toStartOfMinute(start), CorrelationId, start,
	multiIf(arrayExists(v -> v.2 IN ('failed', 'rejected'), mapValues(sl)), 'failed', hasOutcome, 'success', dupSpans > 0, 'duplicate', '') AS outcome,
	-- (step, (end, outcome, system, class, code)): the latest failing step if any, else the latest step with an outcome
	(arrayReverseSort(x -> (x.2.2 IN ('failed', 'rejected'), x.2.1), arrayZip(mapKeys(sl), mapValues(sl)))[1] AS t).1,
	t.2.3, t.2.4, t.2.5, if(first.2, first.1, NULL), amount, currency, partner, eventDelayMs, failedSpans, retrySpans, dupSpans,
	steps, st.names, st.starts, st.ends, st.failed, if(empty(st.starts), start, arrayMax(st.starts)),
	${{ UInt64: String(version) }}, 0
FROM (
	SELECT Flow, CorrelationId, min(s) AS start, maxMap(tsl) AS sl, max(o) AS hasOutcome,
		-- the first trace: its duration, and whether it succeeded within it (no step ended failed, not only duplicates)
		argMin((${MS('s', 'e')}, NOT arrayExists(v -> v.2 IN ('failed', 'rejected'), mapValues(tsl)) AND (o OR td = 0)), s) AS first,
		arrayDistinct(arrayFlatten(groupArray(stepsSeen))) AS steps, max(amount) AS amount, max(currency) AS currency, max(partner) AS partner,
		${MS('min(et)', 'min(es)')} AS eventDelayMs,
		uniqExactMerge(f) AS failedSpans, uniqExactMerge(r) AS retrySpans, uniqExactMerge(d) AS dupSpans
	FROM (
		SELECT Flow, CorrelationId, TraceId, min(Start) AS s, max(End) AS e, maxMap(StepLast) AS tsl, notEmpty(tsl) AS o,
			groupUniqArrayArray(Steps) AS stepsSeen, max(Amount) AS amount, max(Currency) AS currency, max(Partner) AS partner,
			min(EventTime) AS et, min(EventSeen) AS es,
			uniqExactMergeState(FailedSpans) AS f, uniqExactMergeState(RetrySpans) AS r, uniqExactMergeState(DuplicateSpans) AS d,
			uniqExactMerge(DuplicateSpans) AS td
		FROM sla_tx_traces WHERE ${since}
		GROUP BY Flow, CorrelationId, TraceId
	)
	GROUP BY Flow, CorrelationId
) AS tx
LEFT JOIN (
	SELECT Flow, CorrelationId, groupArray(Step) AS names, groupArray(fs) AS starts, groupArray(fe) AS ends, groupArray(failed) AS failed
	FROM (
		SELECT Flow, CorrelationId, Step, min(FirstStart) AS fs, min(FirstEnd) AS fe, max(Failed) AS failed
		FROM sla_tx_steps WHERE ${since}
		GROUP BY Flow, CorrelationId, Step
	)
	GROUP BY Flow, CorrelationId
) AS st USING (Flow, CorrelationId)`;
}

/** Rows of `keys` written before `version` (a transaction whose start minute moved): tombstoned. */
function tombstones(keys: Key[], lo: Date, version: bigint): Sql {
	return sql`
INSERT INTO sla_transactions (Flow, StartMinute, CorrelationId, Start, LastStepStart, Version, Deleted)
SELECT Flow, StartMinute, CorrelationId, Start, LastStepStart, ${{ UInt64: String(version) }}, 1
FROM sla_transactions FINAL
WHERE StartMinute >= ${{ 'DateTime64(3)': lo }} AND ${KEY_OF} IN ${keySet(keys)} AND Version < ${{ UInt64: String(version) }}`;
}

/** Progress of a long fold (after an upgrade or a restart with a backlog): done of `of` units of `what`. */
type Progress = (done: number, of: number, what: string) => void;

export interface FoldResult {
	/** transactions folded (with rollup rows new since the last fold) */
	transactions: number;
	ms: number;
	/** where the time went (ms): finding the transactions, their first minutes, writing, tombstones */
	phases: { keys: number; bounds: number; write: number; tombstones: number; aggregates: number };
}

interface FoldState {
	marks: Marks | null;
	running: Promise<FoldResult> | null;
	/** when the last completed fold started (its figures include everything committed before) */
	lastStart: number;
	lastVersion: bigint;
	/** the aggregates (migration 340) are built: by this process, or the marker row says so */
	aggregated: boolean;
	/** readers may use them (useAggregates: off to compare with the per-transaction path) */
	readAggregates: boolean;
	/** milestones with aggregates (coverageOf), as recorded in sla_fold_state; null until read */
	covered: Set<string> | null;
	/** milestones readers asked for: the next fold builds those not covered */
	wanted: Map<string, MilestoneKey>;
	/** background loops (startFolding) running on this handle */
	loops: number;
}

/**
 * One fold state per database handle. The console bundle and the CLI share the handle (db() is a
 * process-wide singleton), so they share the state; tests with several databases get one each.
 */
const KEY = Symbol.for('syncscope.sla.fold');
function state(d: Db): FoldState {
	const g = globalThis as unknown as Record<symbol, WeakMap<Db, FoldState>>;
	const all = (g[KEY] ??= new WeakMap());
	let s = all.get(d);
	if (!s) all.set(d, (s = { marks: null, running: null, lastStart: 0, lastVersion: 0n, aggregated: false, readAggregates: true, covered: null, wanted: new Map(), loops: 0 }));
	return s;
}

async function readMarks(d: Db): Promise<Marks> {
	const rows = await d.query<{ Source: Source; MaxBlock: number }>(sql`SELECT Source, max(MaxBlock) AS MaxBlock FROM sla_fold_state GROUP BY Source`);
	const marks: Marks = { sla_tx_traces: 0, sla_tx_steps: 0 };
	for (const r of rows) if (r.Source in marks) marks[r.Source] = Number(r.MaxBlock);
	return marks;
}

/** A version above every earlier one, also across processes (wall clock in ns, strictly increasing here). */
function nextVersion(s: FoldState): bigint {
	const v = BigInt(Date.now()) * 1_000_000n;
	s.lastVersion = v > s.lastVersion ? v : s.lastVersion + 1n;
	return s.lastVersion;
}

async function foldOnce(main: Db, s: FoldState, onProgress?: Progress): Promise<FoldResult> {
	// throughput work: its statements yield the CPU to dashboard queries (Db.background)
	const d = main.background?.() ?? main;
	const t0 = performance.now();
	const started = Date.now();
	s.marks ??= await readMarks(d);
	const marks = s.marks;
	if (!s.aggregated) {
		// after upgrading to migration 340: build the aggregates of everything folded so far, once
		const [{ n }] = await d.query<{ n: number }>(sql`SELECT count() AS n FROM sla_fold_state WHERE Source = ${{ String: AGGREGATES_MARK }}`);
		if (n === 0) {
			await rebuildAll(d, () => nextVersion(s), (done, of) => onProgress?.(done, of, 'days of aggregates built'));
			await d.insertRows('sla_fold_state', [{ Source: AGGREGATES_MARK, MaxBlock: 1, At: new Date().toISOString().replace('T', ' ').slice(0, 23) }]);
		}
		s.aggregated = true;
	}
	if (!s.covered) {
		const rows = await d.query<{ Source: string }>(sql`SELECT DISTINCT Source FROM sla_fold_state WHERE startsWith(Source, ${{ String: MILESTONE_MARK }})`);
		s.covered = new Set(rows.map((r) => r.Source.slice(MILESTONE_MARK.length)));
	}
	const missing = [...s.wanted.entries()].filter(([k]) => !s.covered!.has(k));
	if (missing.length) {
		// milestones new to the catalogue: built over everything folded so far, then kept by each fold
		await rebuildMilestones(d, missing.map(([, m]) => m), () => nextVersion(s));
		await d.insertRows('sla_fold_state', missing.map(([k]) => ({ Source: `${MILESTONE_MARK}${k}`, MaxBlock: 1, At: new Date().toISOString().replace('T', ' ').slice(0, 23) })));
		for (const [k] of missing) s.covered.add(k);
	}
	const milestones = [...s.covered].map(fromCoverage);
	// the newest block of each rollup now: everything at or below it is committed and visible
	const tops = await d.query<{ table: Source; top: number }>(sql`
		SELECT table, max(max_block_number) AS top FROM system.parts
		WHERE database = currentDatabase() AND active AND table IN ${{ 'Array(String)': [...SOURCES] }} GROUP BY table`);
	const next: Marks = { ...marks };
	for (const t of tops) next[t.table] = Math.max(marks[t.table], Number(t.top));
	if (SOURCES.every((src) => next[src] === marks[src])) {
		s.lastStart = started;
		return { transactions: 0, ms: performance.now() - t0, phases: { keys: 0, bounds: 0, write: 0, tombstones: 0, aggregates: 0 } };
	}
	// the transactions with new rollup rows, oldest first. Every span that feeds sla_tx_steps also
	// feeds sla_tx_traces (the same insert, a wider filter), so from sla_tx_steps only rows that
	// may come from ack log records are needed: those have FirstStart = FirstEnd (a zero-length
	// span does too, and is merely read twice)
	const keys = await d.query<{ Flow: string; CorrelationId: string; sm: number }>(sql`
		SELECT Flow, CorrelationId, toUnixTimestamp(min(StartMinute)) AS sm FROM (
			SELECT Flow, CorrelationId, StartMinute FROM sla_tx_traces WHERE ${newer(marks.sla_tx_traces)}
			UNION ALL SELECT Flow, CorrelationId, StartMinute FROM sla_tx_steps WHERE ${newer(marks.sla_tx_steps)} AND FirstStart = FirstEnd
		) GROUP BY Flow, CorrelationId ORDER BY sm`);
	const phases = { keys: performance.now() - t0, bounds: 0, write: 0, tombstones: 0, aggregates: 0 };
	const lookback = config().slaLookbackDays * 86_400_000;
	const chunks = Math.ceil(keys.length / CHUNK);
	const allTouched = new Set<string>();
	let touchedLo = Infinity;
	let touchedHi = -Infinity;
	for (let i = 0; i < chunks; i++) {
		const part = keys.slice(i * CHUNK, (i + 1) * CHUNK);
		const chunk: Key[] = part.map((k) => keyOf(k.Flow, k.CorrelationId));
		// where these transactions' rows begin (light columns only, at most the look-back before
		// their new rows): the fold then reads the heavy columns of those minutes only. A
		// transaction's start only moves earlier, so its folded row is at or after that minute too.
		let t = performance.now();
		const [{ lo }] = await d.query<{ lo: number }>(sql`
			SELECT toUnixTimestamp(min(StartMinute)) AS lo FROM sla_tx_traces
			WHERE StartMinute >= ${{ 'DateTime64(3)': new Date(part[0].sm * 1000 - lookback) }} AND ${KEY_OF} IN ${keySet(chunk)}`);
		const from = new Date(lo > 0 ? Math.min(lo, part[0].sm) * 1000 : part[0].sm * 1000);
		const version = nextVersion(s);
		phases.bounds += performance.now() - t;
		t = performance.now();
		await d.exec(foldInsert(chunk, from, version));
		phases.write += performance.now() - t;
		t = performance.now();
		await d.exec(tombstones(chunk, from, version));
		phases.tombstones += performance.now() - t;
		// the minutes (and hours) these transactions start in, or started in before moving
		t = performance.now();
		const touched = await touchedBy(d, from, version);
		for (const k of touched.minutes ?? []) allTouched.add(k);
		touchedLo = Math.min(touchedLo, touched.lo.getTime());
		touchedHi = Math.max(touchedHi, touched.hi.getTime());
		phases.aggregates += performance.now() - t;
		onProgress?.(i + 1, chunks, `parts of ${CHUNK.toLocaleString()} transactions folded`);
	}
	// the aggregates of every touched minute: by key, or a day at a time over their range when there
	// are many (a backlog after a restart or an upgrade: cheaper than recomputing minutes per chunk)
	const t1 = performance.now();
	const ranges: Touched[] = allTouched.size <= 50_000 ? [{ minutes: [...allTouched], lo: new Date(touchedLo), hi: new Date(touchedHi) }] : byDay(touchedLo, touchedHi);
	for (const r of ranges) {
		await refreshMinutes(d, r, () => nextVersion(s));
		await refreshMilestones(d, milestones, r, () => nextVersion(s));
	}
	phases.aggregates += performance.now() - t1;
	await d.insertRows('sla_fold_state', SOURCES.map((src) => ({ Source: src, MaxBlock: next[src], At: new Date().toISOString().replace('T', ' ').slice(0, 23) })));
	s.marks = next;
	s.lastStart = started;
	return { transactions: keys.length, ms: performance.now() - t0, phases };
}

/**
 * Fold everything committed so far. One fold runs at a time per process: a caller that arrives
 * while one runs waits for it and then runs its own (the running one may have started before the
 * caller's data was committed).
 */
export async function fold(d: Db = db(), onProgress?: Progress): Promise<FoldResult> {
	const s = state(d);
	while (s.running) await s.running.catch(() => undefined);
	// the live figures (live.ts) follow each fold before it counts as done
	s.running = foldOnce(d, s, onProgress)
		.then(async (r) => {
			await refreshLive(d);
			return r;
		})
		.finally(() => (s.running = null));
	return s.running;
}

/**
 * Make sure the folded figures are at most `maxAgeMs` old (config slaFreshnessMs; 0: fold now).
 * Dashboards, the KPI API and alerts call this before reading sla_transactions. The scheduler
 * folds every half of that, so a page view normally reads at once and waits only when no
 * scheduler runs or the fold falls behind.
 */
export async function ensureFolded(d: Db = db(), maxAgeMs = config().slaFreshnessMs): Promise<void> {
	const s = state(d);
	const fresh = () => maxAgeMs > 0 && Date.now() - s.lastStart <= maxAgeMs;
	if (fresh()) return;
	// a background loop keeps folding: when it falls behind (a burst of ingest), a page shows the
	// figures of the last completed fold, with their time, instead of waiting for the next one
	if (maxAgeMs > 0 && s.loops > 0 && s.lastStart > 0) return;
	if (maxAgeMs > 0 && s.running) {
		await s.running.catch(() => undefined);
		if (fresh()) return;
	}
	await fold(d);
}

/** The aggregates (migration 340) are built and kept by this process's folds: readers may use them. */
export function aggregatesReady(d: Db = db()): boolean {
	const s = state(d);
	return s.aggregated && s.readAggregates;
}

/**
 * Whether the aggregates of these milestones can be read. Those not built yet are noted, and the
 * next fold builds them (a reader meanwhile reads transactions one by one).
 */
export function milestonesReady(d: Db, keys: MilestoneKey[]): boolean {
	const s = state(d);
	let ready = s.aggregated && s.readAggregates && s.covered !== null;
	for (const m of keys) {
		const k = coverageOf(m);
		if (s.covered?.has(k)) continue;
		ready = false;
		s.wanted.set(k, { flow: m.flow, from: m.from, to: m.to, requireToSucceeded: !!m.requireToSucceeded });
	}
	return ready;
}

/** Let readers use the aggregates (default) or read transactions one by one (tests compare both). */
export function useAggregates(d: Db, on: boolean): void {
	state(d).readAggregates = on;
}

/** When the figures read now were folded (ms since epoch; 0 before the first fold of this process). */
export function foldedAt(d: Db = db()): number {
	return state(d).lastStart;
}

/**
 * Fold every half of slaFreshnessMs in the background (from `syncscope start` and the scheduler
 * console). Returns a stop function that waits for a running fold.
 */
export function startFolding(
	d: Db = db(),
	log: (msg: string) => void = () => {},
	onFold?: (r: FoldResult) => void,
	/** the catalogue's flows: their milestones' aggregates are built before a page asks for them */
	flows?: () => Flow[]
): () => Promise<void> {
	const interval = Math.max(500, config().slaFreshnessMs / 2);
	state(d).loops++;
	// pages of this process read the live figures this loop keeps (live.ts), unless turned off
	const release = config().slaLiveFigures ? holdLive(d) : () => {};
	let stopped = false;
	let timer: NodeJS.Timeout | null = null;
	const loop = async () => {
		try {
			if (flows) milestonesReady(d, milestoneKeysOf(flows()));
			// a first fold of a large existing dataset (after upgrading) reports its progress
			const r = await fold(d, (done, of, what) => of > 5 && log(`sla fold: ${done} of ${of} ${what}`));
			onFold?.(r);
			if (r.ms > 5000) {
				const p = Object.entries(r.phases).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
				log(`sla fold: ${r.transactions.toLocaleString()} transactions in ${(r.ms / 1000).toFixed(1)} s (${p})`);
			}
		} catch (e) {
			log(`sla fold failed: ${(e as Error).message}`);
		}
		if (!stopped) timer = setTimeout(loop, interval);
	};
	timer = setTimeout(loop, 0);
	return async () => {
		if (!stopped) state(d).loops--;
		stopped = true;
		if (timer) clearTimeout(timer);
		await state(d).running?.catch(() => undefined);
		release();
	};
}
