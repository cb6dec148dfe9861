/** A real collector on ports 0 in front of a fresh migrated chDB, for one test file. */
import { gzipSync } from 'node:zlib';
import type { Config } from '../../src/lib/server/config';
import type { Db } from '../../src/lib/server/db';
import { startCollector, type Collector } from '../../collector/index';
import { testDb, type TestDb } from '../helpers/db';

export interface Harness {
	t: TestDb;
	collector: Collector;
	base: string;
	stop(): Promise<void>;
}

export async function startHarness(overrides: Partial<Config> = {}, wrapDb?: (db: Db) => Db): Promise<Harness> {
	const t = await testDb({ otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1', batchLingerMs: 5, ...overrides });
	const db = wrapDb ? wrapDb(t.db) : t.db;
	const collector = await startCollector({ config: t.config, db, log: () => {} });
	return {
		t,
		collector,
		base: `http://127.0.0.1:${collector.httpPort}`,
		async stop() {
			await collector.shutdown();
			await t.cleanup();
		}
	};
}

export async function post(
	base: string,
	path: string,
	body: Buffer | string,
	headers: Record<string, string> = {}
): Promise<{ status: number; headers: Headers; body: Buffer }> {
	const res = await fetch(base + path, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export const gzip = (b: Buffer | string) => gzipSync(b);

/** A recent time in ns as [seconds, nanos] (data older than the TTL is dropped at insert). */
export function recentSeconds(agoSeconds = 60): number {
	return Math.floor(Date.now() / 1000) - agoSeconds;
}
