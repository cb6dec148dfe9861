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

export class EmbeddedDb implements Db {
	readonly kind = 'embedded' as const;
	private session: Promise<Session> | null = null;
	readonly path: string;

	constructor(dataDir: string) {
		this.path = resolve(dataDir);
	}

	private open(): Promise<Session> {
		this.session ??= (async () => {
			mkdirSync(this.path, { recursive: true });
			const { Session } = await import('chdb');
			return new Session(this.path, {
				connectionArgs: ['--session_timezone=UTC', `--${QUERY_SETTINGS}`]
			});
		})();
		return this.session;
	}

	async query<T>(q: Sql): Promise<T[]> {
		const s = await this.open();
		const r = await s.queryBindAsync(q.text, q.params, { format: 'JSONEachRow' });
		const text = r.text();
		if (!text) return [];
		return text
			.split('\n')
			.filter((l) => l.length > 0)
			.map((l) => JSON.parse(l) as T);
	}

	async exec(q: Sql): Promise<void> {
		const s = await this.open();
		if (Object.keys(q.params).length) await s.queryBindAsync(q.text, q.params, { format: 'Null' });
		else await s.queryAsync(q.text, { format: 'Null' });
	}

	async insertRaw(table: string, body: Buffer, opts: RawInsert): Promise<void> {
		const s = await this.open();
		await s.insert({
			table,
			values: body,
			format: opts.format,
			columns: opts.columns,
			settings: opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : undefined
		});
	}

	async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
		if (rows.length === 0) return;
		const body = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
		await this.insertRaw(table, body, { format: 'JSONEachRow' });
	}

	async ping(): Promise<void> {
		const s = await this.open();
		await s.queryAsync('SELECT 1', { format: 'Null' });
	}

	async close(): Promise<void> {
		if (!this.session) return;
		const s = await this.session;
		this.session = null;
		s.close();
	}
}
