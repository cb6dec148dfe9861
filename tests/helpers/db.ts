/**
 * A fresh, migrated ClickHouse for one test file. The transport comes from
 * SYNCSCOPE_TEST_TRANSPORT: `embedded` (default) opens chDB in a temp directory; `http` serves that
 * chDB through the ClickHouse HTTP test fixture (tests/fixtures/clickhouse-http.ts) and talks to it
 * with @clickhouse/client, so the same integration tests cover the server path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, setConfig, type Config } from '../../src/lib/server/config';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { HttpDb } from '../../src/lib/server/db/http';
import { setDb, type Db } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { startClickHouseHttpFixture } from '../fixtures/clickhouse-http';

export type TestTransport = 'embedded' | 'http';

export interface TestDb {
	db: Db;
	config: Config;
	dir: string;
	transport: TestTransport;
	cleanup(): Promise<void>;
}

export function testTransport(): TestTransport {
	const t = process.env.SYNCSCOPE_TEST_TRANSPORT ?? 'embedded';
	if (t !== 'embedded' && t !== 'http') throw new Error(`SYNCSCOPE_TEST_TRANSPORT must be embedded or http, not ${t}`);
	return t;
}

export async function testDb(overrides: Partial<Config> = {}): Promise<TestDb> {
	const dir = mkdtempSync(join(tmpdir(), 'syncscope-test-'));
	const transport = testTransport();
	let db: Db;
	let stopFixture = async () => {};
	let config: Config;
	if (transport === 'http') {
		const fixture = await startClickHouseHttpFixture({ dataDir: dir });
		stopFixture = () => fixture.close();
		config = setConfig(loadConfig({}, { dataDir: dir, clickhouseUrl: fixture.url, ...overrides }));
		db = new HttpDb({ url: fixture.url, username: 'default', password: '', database: 'default' });
	} else {
		config = setConfig(loadConfig({}, { dataDir: dir, ...overrides }));
		db = new EmbeddedDb(dir);
	}
	setDb(db);
	await migrate(db, config);
	return {
		db,
		config,
		dir,
		transport,
		async cleanup() {
			await db.close();
			await stopFixture();
			setDb(undefined);
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
