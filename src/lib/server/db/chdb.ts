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

/**
 * Sessions opened on the data directory at most. chDB runs one operation at a time per session,
 * but sessions on the same path share one engine and run side by side: with a pool, a dashboard
 * query does not wait behind a collector insert, and the independent queries of one page run in
 * parallel (bench/sla.ts: the inserter went from 1.5k to 19.8k of 20k spans/s beside the pages).
 * Four covers a page's parallel queries plus a collector insert; the engine's threads are shared.
 */
export const MAX_SESSIONS = 4;

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

	constructor(
		dataDir: string,
		private readonly maxSessions = MAX_SESSIONS
	) {
		this.path = resolve(dataDir);
	}

	private async newSlot(): Promise<Slot> {
		this.module ??= (async () => {
			mkdirSync(this.path, { recursive: true });
			return import('chdb');
		})();
		const { Session } = await this.module;
		// taken by its opener
		const slot = { session: new Session(this.path, { connectionArgs: ['--session_timezone=UTC', `--${QUERY_SETTINGS}`] }), busy: 1 };
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
		const r = await this.run((s) => s.queryBindAsync(q.text, q.params, { format: 'JSONEachRow' }));
		const text = r.text();
		if (!text) return [];
		return text
			.split('\n')
			.filter((l) => l.length > 0)
			.map((l) => JSON.parse(l) as T);
	}

	async exec(q: Sql): Promise<void> {
		await this.run((s) =>
			Object.keys(q.params).length ? s.queryBindAsync(q.text, q.params, { format: 'Null' }) : s.queryAsync(q.text, { format: 'Null' })
		);
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
		// closing a session with an operation still running on it aborts the engine (chdb README)
		await this.opening?.catch(() => undefined);
		await Promise.allSettled([...this.inflight]);
		const slots = this.slots;
		this.slots = [];
		for (const slot of slots) slot.session.close();
	}
}
