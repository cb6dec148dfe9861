import type { Sql } from './sql';

export type InsertFormat = 'JSONEachRow' | 'JSONCompactEachRow';

export interface RawInsert {
	format: InsertFormat;
	/** explicit column list (required for JSONCompactEachRow) */
	columns?: readonly string[];
	/** insert_deduplication_token: a retried insert with the same token is stored once */
	dedupToken?: string;
}

/** The one database interface; embedded chDB and ClickHouse over HTTP both implement it. */
export interface Db {
	readonly kind: 'embedded' | 'http';
	/** Run a SELECT and return its rows (JSONEachRow, 64-bit integers as numbers). */
	query<T = Record<string, unknown>>(q: Sql): Promise<T[]>;
	/** Run a statement that returns nothing (DDL, INSERT … SELECT, ALTER). */
	exec(q: Sql): Promise<void>;
	/** Insert a pre-encoded body of rows. */
	insertRaw(table: string, body: Buffer, opts: RawInsert): Promise<void>;
	/** Insert objects (small control-plane writes; the ingest path uses insertRaw). */
	insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
	ping(): Promise<void>;
	close(): Promise<void>;
	/**
	 * The same store for batch work (the SLA fold): its statements yield the CPU to interactive ones
	 * (embedded: sessions whose query threads run at a higher nice value). Absent: use this handle.
	 */
	background?(): Db;
}

/** A storage failure the caller may retry (the store is unavailable or overloaded). */
export class StoreUnavailableError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'StoreUnavailableError';
	}
}
