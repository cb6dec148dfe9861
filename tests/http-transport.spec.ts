/**
 * The HTTP transport (HttpDb over @clickhouse/client) against the ClickHouse HTTP test fixture:
 * error mapping, auth, settings in the URL, gzip, and the store going away and coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ClickHouseError } from '@clickhouse/client';
import { HttpDb, classifyError } from '../src/lib/server/db/http';
import { sql, StoreUnavailableError } from '../src/lib/server/db';
import { startClickHouseHttpFixture, type ClickHouseHttpFixture } from './fixtures/clickhouse-http';

describe('HttpDb against the ClickHouse HTTP fixture', () => {
	let fx: ClickHouseHttpFixture;
	let db: HttpDb;
	beforeAll(async () => {
		fx = await startClickHouseHttpFixture({ user: 'syncscope', password: 's3cret' });
		db = new HttpDb({ url: fx.url, username: 'syncscope', password: 's3cret', database: 'default', requestTimeoutMs: 5_000 });
		await db.exec(sql`CREATE TABLE t (k String, n UInt32) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100`);
	});
	afterAll(async () => {
		await db?.close();
		await fx?.close();
	});

	it('answers /ping and refuses a wrong password with the server exception', async () => {
		await db.ping();
		const res = await fetch(`${fx.url}/ping`);
		expect(await res.text()).toBe('Ok.\n');
		const bad = new HttpDb({ url: fx.url, username: 'syncscope', password: 'nope', database: 'default' });
		const err = await bad.query(sql`SELECT 1`).catch((e) => e);
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).type).toBe('AUTHENTICATION_FAILED');
		await bad.close();
	});

	it('binds typed parameters, including strings that need escaping and arrays', async () => {
		const tricky = "it's\ta\\b\nline";
		const rows = await db.query<{ s: string; arr: string[]; n: number }>(
			sql`SELECT ${{ String: tricky }} AS s, ${{ 'Array(String)': ["o'k", 'x\\y'] }} AS arr, ${{ UInt64: 7 }} AS n`
		);
		expect(rows).toEqual([{ s: tricky, arr: ["o'k", 'x\\y'], n: 7 }]);
	});

	it('stores a raw insert once per dedup token, with an explicit column list', async () => {
		const body = Buffer.from('["a",1]\n["b",2]\n');
		for (let i = 0; i < 3; i++) await db.insertRaw('t', body, { format: 'JSONCompactEachRow', columns: ['k', 'n'], dedupToken: 'tok-1' });
		await db.insertRows('t', [{ k: 'c', n: 3 }]);
		const rows = await db.query<{ c: number; s: number }>(sql`SELECT count() AS c, sum(n) AS s FROM t`);
		expect(rows[0]).toEqual({ c: 3, s: 6 });
	});

	it('turns SQL errors into ClickHouseError with code and type, and keeps them non-retryable', async () => {
		const err = await db.query(sql`SELECT nosuch FROM t`).catch((e) => e);
		expect(err).toBeInstanceOf(ClickHouseError);
		expect((err as ClickHouseError).code).toBe('47');
		// the embedded engine's wording, so callers reading the code from the message work on both
		expect((err as Error).message).toMatch(/^Code: 47\. DB::Exception: .* \(UNKNOWN_IDENTIFIER\)$/s);
		expect(classifyError(err)).toBe(err);
		const res = await fetch(`${fx.url}/?query=SELECT+nosuch`, { headers: { authorization: `Basic ${Buffer.from('syncscope:s3cret').toString('base64')}` } });
		expect(res.status).toBe(400);
		expect(res.headers.get('x-clickhouse-exception-code')).toBe('47');
		expect(await res.text()).toMatch(/^Code: 47\. DB::Exception: .*\(UNKNOWN_IDENTIFIER\)/);
	});

	it('serves gzip request bodies and gzip responses, and the summary header', async () => {
		const auth = { authorization: `Basic ${Buffer.from('syncscope:s3cret').toString('base64')}` };
		const ins = await fetch(`${fx.url}/?query=${encodeURIComponent('INSERT INTO t FORMAT JSONEachRow')}`, {
			method: 'POST',
			headers: { ...auth, 'content-encoding': 'gzip' },
			body: gzipSync('{"k":"z","n":10}\n')
		});
		expect(ins.status).toBe(200);
		expect(JSON.parse(ins.headers.get('x-clickhouse-summary') ?? '{}').written_rows).toBe('1');
		const q = await fetch(`${fx.url}/?enable_http_compression=1&param_k=z`, {
			method: 'POST',
			headers: { ...auth, 'accept-encoding': 'gzip' },
			body: 'SELECT n FROM t WHERE k = {k:String} FORMAT JSONEachRow'
		});
		expect(q.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
		// fetch decodes the gzip body itself: the header says it was compressed on the wire
		expect(q.headers.get('content-encoding')).toBe('gzip');
		expect((await q.text()).trim()).toBe('{"n":10}');
	});

	it('reports the store as unavailable while it is down, and works again after it returns', async () => {
		await fx.pause();
		const err = await db.query(sql`SELECT 1 AS x`).catch((e) => e);
		expect(err).toBeInstanceOf(StoreUnavailableError);
		await expect(db.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
		await fx.resume();
		expect(await db.query(sql`SELECT 1 AS x`)).toEqual([{ x: 1 }]);
	});

	it('classifies overload errors from the server as retryable', () => {
		const e = new ClickHouseError({ message: 'Too many parts', code: '252', type: 'TOO_MANY_PARTS' });
		expect(classifyError(e)).toBeInstanceOf(StoreUnavailableError);
		expect(classifyError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(StoreUnavailableError);
	});
});
