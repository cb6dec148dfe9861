/**
 * The process-wide database handle. Stored on globalThis so the SvelteKit server bundle and the
 * collector (loaded separately in the same process) share one chDB session: chDB holds its data
 * directory exclusively.
 */
import { config, type Config } from '../config';
import { EmbeddedDb } from './chdb';
import { HttpDb } from './http';
import type { Db } from './types';

export { sql, ident, raw, join, Sql } from './sql';
export type { Db, RawInsert, InsertFormat } from './types';
export { StoreUnavailableError } from './types';

const KEY = Symbol.for('syncscope.db');
type G = typeof globalThis & { [KEY]?: Db };

/** Build a transport from config: HTTP when CLICKHOUSE_URL is set, embedded chDB otherwise. */
export function createDb(c: Config): Db {
	if (c.clickhouseUrl) {
		return new HttpDb({
			url: c.clickhouseUrl,
			username: c.clickhouseUser,
			password: c.clickhousePassword,
			database: c.clickhouseDatabase,
			requestTimeoutMs: c.clickhouseRequestTimeoutMs,
			maxOpenConnections: c.clickhouseMaxConnections,
			cluster: c.clickhouseCluster || undefined
		});
	}
	return new EmbeddedDb(c.dataDir);
}

/** The shared handle, created on first use. */
export function db(): Db {
	const g = globalThis as G;
	return (g[KEY] ??= createDb(config()));
}

/** Install a handle (start-up, tests). */
export function setDb(d: Db | undefined): void {
	(globalThis as G)[KEY] = d;
}
