/**
 * Embedded transport: a real ClickHouse engine in this process (chDB), persisting to a data
 * directory. chdb is imported lazily on first use: loading it inside a worker thread that then
 * exits (vite's route analysis, vitest's threads pool) takes the process down.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db, RawInsert } from './types';
import type { Sql } from './sql';

type ChdbModule = typeof import('chdb');
type Session = InstanceType<ChdbModule['Session']>;

const QUERY_SETTINGS = 'output_format_json_quote_64bit_integers=0';
/** Inlined parameters (see inline()) can be large: the fold passes 20,000 transaction keys. */
const MAX_QUERY_SIZE = 'max_query_size=268435456';

/** A ClickHouse string literal: backslash and quote escaped, nothing else is special inside one. */
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;

/** A value in ClickHouse's text format as it appears inside an Array or Map literal. */
function textOf(v: unknown): string {
	if (v === null || v === undefined) return 'NULL';
	if (typeof v === 'string') return quote(v);
	if (typeof v === 'number') {
		if (!Number.isFinite(v)) throw new TypeError(`cannot bind ${v}`);
		return String(v);
	}
	if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
	if (Array.isArray(v)) return `[${v.map(textOf).join(',')}]`;
	if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${quote(k)}:${textOf(x)}`).join(',')}}`;
	throw new TypeError(`cannot bind a ${typeof v}`);
}

/**
 * The statement with its `{pN:Type}` parameters inlined as `_CAST('<value as text>', 'Type')` — the
 * same expression the engine's own binding substitutes — with the value inside a quoted literal.
 * chdb runs parameterised statements one at a time across the whole process (its binding is not
 * isolated per session), so a dashboard query would wait behind every running fold statement and
 * collector insert; inlined, statements of different sessions run side by side. Types come from
 * our code (checked by sql.ts), values only ever appear inside a quoted, escaped string.
 */
export function inline(q: Sql): string {
	if (Object.keys(q.params).length === 0) return q.text;
	return q.text.replace(/\{(p\d+):([^{}]+)\}/g, (m, name: string, type: string) => {
		if (!(name in q.params)) return m;
		const v = q.params[name];
		if (v === null || v === undefined) return `_CAST(NULL, ${quote(type)})`;
		const map = /^Map\((.*)\)$/.exec(type);
		if (map && typeof v === 'object') {
			// a String does not cast to a Map: its keys and values go as two arrays
			let depth = 0;
			const comma = [...map[1]].findIndex((c) => (c === '(' ? (depth++, false) : c === ')' ? (depth--, false) : c === ',' && depth === 0));
			const [k, val] = [map[1].slice(0, comma).trim(), map[1].slice(comma + 1).trim()];
			const entries = Object.entries(v as object);
			return `mapFromArrays(_CAST(${quote(textOf(entries.map((e) => e[0])))}, ${quote(`Array(${k})`)}), _CAST(${quote(textOf(entries.map((e) => e[1])))}, ${quote(`Array(${val})`)}))`;
		}
		const text = typeof v === 'string' ? v : textOf(v);
		return `_CAST(${quote(text)}, ${quote(type)})`;
	});
}

/**
 * Sessions opened on the data directory at most. chDB runs one operation at a time per session,
 * but sessions on the same path share one engine and run side by side — as long as the statements
 * carry no bound parameters: chdb runs parameterised statements one at a time across the whole
 * process, which is why statements are sent with their parameters inlined (inline()). With both, a
 * dashboard query neither waits behind another session's statement nor behind a fold statement or
 * collector insert (those use background() sessions), and the independent queries of one page run
 * in parallel. Four covers a page's parallel queries; the engine's threads are shared.
 */
export const MAX_SESSIONS = 4;

/**
 * Nice value of the query threads of background() sessions (the SLA fold: seconds of batch work every
 * few seconds under heavy ingest). Linux gives a nice-0 thread ~9× the CPU share of a nice-10 one, so
 * a dashboard query competing with the fold gets the cores first, and the fold still gets every cycle
 * the dashboards leave. ClickHouse applies it per query (os_threads_nice_value_query) and resets it
 * after. Merges run at the same nice value (os_threads_nice_value_merge_mutate, for the engine):
 * with them at normal priority pages were slower under 20k spans/s (bench/results sla-2026-11-23T1820
 * vs T1816: p95 456 / 297 ms vs 295 / 255 ms); they still get every idle cycle. Collector inserts stay
 * at normal priority: niced, the inserter reached only 16.0k of 20k spans/s beside continuous page
 * loads, and pages were no faster (T1815).
 */
export const BACKGROUND_NICE = 10;

interface Slot {
	session: Session;
	busy: number;
}

export class EmbeddedDb implements Db {
	readonly kind = 'embedded' as const;
	private module: Promise<ChdbModule> | null = null;
	private slots: Slot[] = [];
	private opening: Promise<Slot> | null = null;
	private inflight = new Set<Promise<unknown>>();
	readonly path: string;

	private bg: EmbeddedDb | null = null;

	constructor(
		dataDir: string,
		private readonly maxSessions = MAX_SESSIONS,
		private readonly nice = 0
	) {
		this.path = resolve(dataDir);
	}

	/** Sessions of their own on the same data dir, at BACKGROUND_NICE (see there). */
	background(): Db {
		if (this.nice) return this;
		return (this.bg ??= new EmbeddedDb(this.path, 2, BACKGROUND_NICE));
	}

	private async newSlot(): Promise<Slot> {
		this.module ??= (async () => {
			mkdirSync(this.path, { recursive: true });
			return import('chdb');
		})();
		const { Session } = await this.module;
		// taken by its opener
		// merges are batch work too, whichever session starts the engine
		const nice = [
			`--os_threads_nice_value_merge_mutate=${BACKGROUND_NICE}`,
			...(this.nice ? [`--os_threads_nice_value_query=${this.nice}`, `--os_threads_nice_value_materialized_view=${this.nice}`] : [])
		];
		const slot = { session: new Session(this.path, { connectionArgs: ['--session_timezone=UTC', `--${QUERY_SETTINGS}`, `--${MAX_QUERY_SIZE}`, ...nice] }), busy: 1 };
		this.slots.push(slot);
		return slot;
	}

	/** Takes the least busy session; a new one while every session is busy and the pool is not full. */
	private async acquire(): Promise<Slot> {
		for (;;) {
			const idle = this.slots.find((s) => s.busy === 0);
			if (idle) {
				idle.busy++;
				return idle;
			}
			if (this.opening) {
				await this.opening;
				continue;
			}
			if (this.slots.length < this.maxSessions) {
				this.opening = this.newSlot().finally(() => (this.opening = null));
				return this.opening;
			}
			const least = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
			least.busy++;
			return least;
		}
	}

	/** Runs one operation on a pooled session; close() waits for every running one. */
	private async run<T>(op: (s: Session) => Promise<T>): Promise<T> {
		const slot = await this.acquire();
		// an operation that throws before returning its promise still frees the session
		const p = (async () => op(slot.session))().finally(() => {
			slot.busy--;
			this.inflight.delete(p);
		});
		this.inflight.add(p);
		return p;
	}

	async query<T>(q: Sql): Promise<T[]> {
		const r = await this.run((s) => s.queryAsync(inline(q), { format: 'JSONEachRow' }));
		const text = r.text();
		if (!text) return [];
		return text
			.split('\n')
			.filter((l) => l.length > 0)
			.map((l) => JSON.parse(l) as T);
	}

	async exec(q: Sql): Promise<void> {
		await this.run((s) => s.queryAsync(inline(q), { format: 'Null' }));
	}

	async insertRaw(table: string, body: Buffer, opts: RawInsert): Promise<void> {
		await this.run((s) =>
			s.insert({
				table,
				values: body,
				format: opts.format,
				columns: opts.columns,
				settings: opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : undefined
			})
		);
	}

	async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
		if (rows.length === 0) return;
		const body = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
		await this.insertRaw(table, body, { format: 'JSONEachRow' });
	}

	async ping(): Promise<void> {
		await this.run((s) => s.queryAsync('SELECT 1', { format: 'Null' }));
	}

	async close(): Promise<void> {
		await this.bg?.close();
		this.bg = null;
		// closing a session with an operation still running on it aborts the engine (chdb README)
		await this.opening?.catch(() => undefined);
		await Promise.allSettled([...this.inflight]);
		const slots = this.slots;
		this.slots = [];
		for (const slot of slots) slot.session.close();
	}
}
