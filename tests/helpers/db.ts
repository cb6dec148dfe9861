/**
 * A fresh, migrated ClickHouse for one test file. The transport comes from
 * SYNCSCOPE_TEST_TRANSPORT: `embedded` (default) opens chDB in a temp directory; `http` serves that
 * chDB through the ClickHouse HTTP test fixture (tests/fixtures/clickhouse-http.ts), run in a process
 * of its own like a server, and talks to it with @clickhouse/client, so the same integration tests
 * cover the server path. In http mode CLICKHOUSE_URL is also set in this process's environment while
 * the store lives, so a CLI child spawned with the test's env (`{ ...process.env }`) reaches the same
 * store instead of the data dir the fixture holds (and SYNCSCOPE_SECRET_KEY, which server mode requires).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, setConfig, type Config } from '../../src/lib/server/config';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { HttpDb } from '../../src/lib/server/db/http';
import { setDb, type Db } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

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
		const fixture = await startFixtureProcess(dir);
		// server mode shares secrets between processes through a configured key, as a deployment must
		const secretKey = overrides.secretKey ?? randomBytes(32).toString('base64');
		process.env.CLICKHOUSE_URL = fixture.url;
		process.env.SYNCSCOPE_SECRET_KEY = secretKey;
		stopFixture = async () => {
			if (process.env.CLICKHOUSE_URL === fixture.url) {
				delete process.env.CLICKHOUSE_URL;
				delete process.env.SYNCSCOPE_SECRET_KEY;
			}
			await fixture.stop();
		};
		config = setConfig(loadConfig({}, { dataDir: dir, clickhouseUrl: fixture.url, secretKey, slaFreshnessMs: 0, ...overrides }));
		db = new HttpDb({ url: fixture.url, username: 'default', password: '', database: 'default' });
	} else {
		config = setConfig(loadConfig({}, { dataDir: dir, slaFreshnessMs: 0, ...overrides }));
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

const FIXTURE_SERVER = fileURLToPath(new URL('../fixtures/clickhouse-http-server.ts', import.meta.url));

/** The HTTP fixture in a child process; resolves with its URL once it listens. */
function startFixtureProcess(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
	const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE_SERVER, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	let out = '';
	let err = '';
	child.stderr!.on('data', (d) => (err += d));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`ClickHouse HTTP fixture did not start\n${err}`));
		}, 60_000);
		void exited.then(() => reject(new Error(`ClickHouse HTTP fixture exited\n${err}`)));
		child.stdout!.on('data', (d) => {
			out += d;
			const line = out.split('\n').find((l) => l.startsWith('{"url":'));
			if (!line) return;
			clearTimeout(timer);
			resolve({
				url: (JSON.parse(line) as { url: string }).url,
				async stop() {
					child.kill('SIGTERM');
					await exited;
				}
			});
		});
	});
}
