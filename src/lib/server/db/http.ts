/**
 * Server transport: ClickHouse over HTTP with @clickhouse/client (CLICKHOUSE_URL). Collector and
 * console can then run as separate, horizontally scaled processes against one server or cluster.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Db, RawInsert } from './types';
import { StoreUnavailableError } from './types';
import type { Sql } from './sql';

export interface HttpDbOptions {
	url: string;
	username: string;
	password: string;
	database: string;
}

export class HttpDb implements Db {
	readonly kind = 'http' as const;
	private client: ClickHouseClient;

	constructor(o: HttpDbOptions) {
		this.client = createClient({
			url: o.url,
			username: o.username,
			password: o.password,
			database: o.database,
			request_timeout: 60_000,
			clickhouse_settings: {
				output_format_json_quote_64bit_integers: 0,
				session_timezone: 'UTC',
				// an INSERT is answered only once its data is written
				wait_end_of_query: 1
			}
		});
	}

	async query<T>(q: Sql): Promise<T[]> {
		const rs = await wrap(() => this.client.query({ query: q.text, query_params: { ...q.params }, format: 'JSONEachRow' }));
		return rs.json<T>();
	}

	async exec(q: Sql): Promise<void> {
		await wrap(() => this.client.command({ query: q.text, query_params: { ...q.params } }));
	}

	async insertRaw(table: string, body: Buffer, opts: RawInsert): Promise<void> {
		await wrap(() =>
			this.client.insert({
				table,
				values: Readable.from([body]),
				format: opts.format,
				columns: opts.columns ? ([...opts.columns] as [string, ...string[]]) : undefined,
				clickhouse_settings: opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : undefined
			})
		);
	}

	async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
		if (rows.length === 0) return;
		await wrap(() => this.client.insert({ table, values: [...rows], format: 'JSONEachRow' }));
	}

	async ping(): Promise<void> {
		const r = await this.client.ping();
		if (!r.success) throw new StoreUnavailableError('ClickHouse ping failed', { cause: r.error });
	}

	async close(): Promise<void> {
		await this.client.close();
	}
}

/** Connection-level failures become StoreUnavailableError; SQL errors stay as they are. */
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (e) {
		const code = (e as { code?: string }).code;
		if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(code)) {
			throw new StoreUnavailableError(`ClickHouse unreachable: ${code}`, { cause: e });
		}
		throw e;
	}
}
