/**
 * `syncscope migrate` in server mode against the ClickHouse HTTP fixture: two runs at once, then a
 * third, all succeed and leave one schema with each migration recorded once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { HttpDb } from '../../src/lib/server/db/http';
import { listMigrations } from '../../src/lib/server/db/migrate';
import { startClickHouseHttpFixture, type ClickHouseHttpFixture } from '../fixtures/clickhouse-http';
import { runCli } from './cli-process';

describe('syncscope migrate against a server', () => {
	let fx: ClickHouseHttpFixture;
	let db: HttpDb;
	let env: Record<string, string>;
	beforeAll(async () => {
		fx = await startClickHouseHttpFixture({ user: 'ops', password: 'pw' });
		db = new HttpDb({ url: fx.url, username: 'ops', password: 'pw', database: 'default' });
		env = { CLICKHOUSE_URL: fx.url, CLICKHOUSE_USER: 'ops', CLICKHOUSE_PASSWORD: 'pw', LOG_LEVEL: 'info' };
	});
	afterAll(async () => {
		await db?.close();
		await fx?.close();
	});

	it('is safe to run concurrently and twice', async () => {
		const [a, b] = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);
		expect(a.stderr + b.stderr).not.toMatch(/"level":"error"/);
		expect([a.code, b.code]).toEqual([0, 0]);
		const again = await runCli(['migrate'], env);
		expect(again.code).toBe(0);
		expect(again.stdout).toMatch(/"msg":"schema is up to date"/);

		const recorded = await db.query<{ version: number; c: number }>(
			sql`SELECT version, count() AS c FROM syncscope_migrations FINAL GROUP BY version ORDER BY version`
		);
		expect(recorded).toEqual(listMigrations().map((m) => ({ version: m.version, c: 1 })));
		const views = await db.query<{ name: string }>(
			sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'business\\_keys\\_%\\_mv\\_%'`
		);
		expect(views).toHaveLength(2);
	});

	it('refuses to start a console or collector on an unmigrated database, naming the fix', async () => {
		await db.exec(sql`CREATE DATABASE IF NOT EXISTS empty_db`);
		const r = await runCli(['console'], { ...env, CLICKHOUSE_DATABASE: 'empty_db', PORT: '0' });
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(/the schema is not migrated .*run `syncscope migrate` first/);
	});

	it('says which server it cannot reach when the store is down at start', async () => {
		const r = await runCli(['migrate'], { CLICKHOUSE_URL: 'http://127.0.0.1:1', SYNCSCOPE_STARTUP_TIMEOUT_MS: '500', LOG_LEVEL: 'error' });
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(/cannot start: cannot reach ClickHouse: ClickHouse (unreachable|ping failed)/);
	});
});
