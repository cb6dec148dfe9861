/**
 * Group commit for one table: requests append their encoded rows to the open batch and each waits
 * for the insert that contains them. A batch is sealed when it reaches batchMaxRows or when
 * batchLingerMs has passed since its first request; while every insert slot is busy the open batch
 * keeps growing, so a slow store gets fewer, larger inserts. Every batch carries its own
 * insert_deduplication_token, reused on its retries, so a retried insert is stored once
 * (the tables set non_replicated_deduplication_window).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/lib/server/db';


interface Waiter {
	resolve(): void;
	reject(e: unknown): void;
}

class Batch {
	readonly chunks: Buffer[] = [];
	readonly chunkRows: number[] = [];
	readonly waiters: Waiter[] = [];
	readonly token = randomUUID();
	rows = 0;
	bytes = 0;
}

export interface TableWriterOptions {
	db: Db;
	table: string;
	columns: readonly string[];
	lingerMs: number;
	maxRows: number;
	/** inserts in flight at once; while all are busy the open batch keeps growing */
	concurrency: number;
	attempts: number;
	/** delay before retry n (1-based) */
	backoffMs: (attempt: number) => number;
	onInsert(rows: number, seconds: number): void;
	onAttemptFailed(e: unknown): void;
	/** all attempts failed: the error every waiter receives */
	onGaveUp(e: unknown): unknown;
	/** the engine refused one request's rows as data (not an outage): the error its waiter receives */
	onRefusedData(e: unknown): unknown;
}

export class TableWriter {
	private open: Batch | null = null;
	private timer: NodeJS.Timeout | null = null;
	private due = false;
	private readonly ready: Batch[] = [];
	private inflight = 0;
	private inflightRows = 0;
	private inflightBytes = 0;
	private idle: (() => void)[] = [];

	constructor(private readonly o: TableWriterOptions) {}

	get queuedRows(): number {
		return (this.open?.rows ?? 0) + this.ready.reduce((n, b) => n + b.rows, 0) + this.inflightRows;
	}

	get queuedBytes(): number {
		return (this.open?.bytes ?? 0) + this.ready.reduce((n, b) => n + b.bytes, 0) + this.inflightBytes;
	}

	/** Add encoded rows; resolves once the insert that contains them has succeeded. */
	append(body: Buffer, rows: number): Promise<void> {
		const b = (this.open ??= new Batch());
		b.chunks.push(body);
		b.chunkRows.push(rows);
		b.rows += rows;
		b.bytes += body.length;
		const done = new Promise<void>((resolve, reject) => b.waiters.push({ resolve, reject }));
		if (b.rows >= this.o.maxRows) this.markDue(true);
		else if (!this.timer && !this.due) this.timer = setTimeout(() => this.markDue(false), this.o.lingerMs);
		return done;
	}

	/** Seal whatever is open and wait until every batch is inserted (or has failed). */
	async flush(): Promise<void> {
		if (this.open) this.markDue(true);
		while (this.inflight > 0 || this.ready.length > 0 || this.open) {
			await new Promise<void>((r) => this.idle.push(r));
			if (this.open) this.markDue(true);
		}
	}

	private markDue(full: boolean): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.due = true;
		if (this.inflight < this.o.concurrency || full) this.seal();
		this.pump();
	}

	private seal(): void {
		if (!this.open) return;
		this.ready.push(this.open);
		this.open = null;
		this.due = false;
	}

	private pump(): void {
		if (this.ready.length === 0 && this.due && this.inflight < this.o.concurrency) this.seal();
		while (this.inflight < this.o.concurrency && this.ready.length > 0) void this.run(this.ready.shift()!);
		if (this.inflight === 0 && this.ready.length === 0 && !this.open) for (const r of this.idle.splice(0)) r();
	}

	/** One insert with up to `attempts` tries under the same dedup token; the last error, or null. */
	private async insert(body: Buffer, rows: number, token: string): Promise<unknown> {
		let error: unknown = null;
		for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
			const started = performance.now();
			try {
				await this.o.db.insertRaw(this.o.table, body, { format: 'JSONCompactEachRow', columns: this.o.columns, dedupToken: token });
				this.o.onInsert(rows, (performance.now() - started) / 1000);
				return null;
			} catch (e) {
				error = e;
				this.o.onAttemptFailed(e);
				if (isDataError(e)) return e; // the same rows would be refused again
				if (attempt < this.o.attempts) await new Promise((r) => setTimeout(r, this.o.backoffMs(attempt)));
			}
		}
		return error;
	}

	private async run(b: Batch): Promise<void> {
		this.inflight++;
		this.inflightRows += b.rows;
		this.inflightBytes += b.bytes;
		const body = b.chunks.length === 1 ? b.chunks[0] : Buffer.concat(b.chunks, b.bytes);
		const error = await this.insert(body, b.rows, b.token);
		if (error === null) for (const w of b.waiters) w.resolve();
		else if (isDataError(error)) {
			// One request's rows were refused by the engine: insert each request alone so that only
			// its sender gets the error and the others are stored (a poison row must not look like
			// an outage and make every client retry it forever).
			for (let i = 0; i < b.chunks.length; i++) {
				const e = b.chunks.length === 1 ? error : await this.insert(b.chunks[i], b.chunkRows[i], `${b.token}-${i}`);
				if (e === null) b.waiters[i].resolve();
				else b.waiters[i].reject(isDataError(e) ? this.o.onRefusedData(e) : this.o.onGaveUp(e));
			}
		} else {
			const reason = this.o.onGaveUp(error);
			for (const w of b.waiters) w.reject(reason);
		}
		this.inflight--;
		this.inflightRows -= b.rows;
		this.inflightBytes -= b.bytes;
		this.pump();
	}
}

/**
 * ClickHouse errors that mean "these rows are bad" rather than "the store is unavailable":
 * parse and type errors (error codes in src/Common/ErrorCodes.cpp).
 */
const DATA_ERROR_CODES = new Set([6, 25, 26, 27, 32, 38, 41, 53, 69, 72, 117, 131, 321]);

export function isDataError(e: unknown): boolean {
	// @clickhouse/client errors carry the code as a property; chDB's only in the message
	const prop = String((e as { code?: unknown })?.code ?? '');
	const code = /^\d+$/.test(prop) ? prop : /Code: (\d+)\./.exec((e as Error)?.message ?? '')?.[1];
	return code !== undefined && DATA_ERROR_CODES.has(Number(code));
}
