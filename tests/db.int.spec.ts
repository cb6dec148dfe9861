import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, join, raw, sql } from '../src/lib/server/db';
import { migrate, renderMigration, splitStatements, listMigrations } from '../src/lib/server/db/migrate';
import { testDb, type TestDb } from './helpers/db';

describe('sql tagged template', () => {
	it('turns values into typed server-side parameters', () => {
		const q = sql`SELECT * FROM t WHERE a = ${{ String: "x'; DROP TABLE t" }} AND b > ${{ UInt32: 5 }}`;
		expect(q.text).toMatch(/^SELECT \* FROM t WHERE a = \{p\d+:String\} AND b > \{p\d+:UInt32\}$/);
		expect(Object.values(q.params)).toEqual(["x'; DROP TABLE t", 5]);
	});
	it('composes fragments without parameter name clashes', () => {
		const a = sql`a = ${{ String: '1' }}`;
		const b = sql`b = ${{ String: '2' }}`;
		const q = sql`SELECT 1 WHERE ${join([a, b], ' AND ')}`;
		const names = [...q.text.matchAll(/\{(p\d+):String\}/g)].map((m) => m[1]);
		expect(new Set(names).size).toBe(2);
		expect(names.map((n) => q.params[n])).toEqual(['1', '2']);
	});
	it('refuses bare values and bad identifiers', () => {
		expect(() => sql`SELECT ${'x' as unknown as object}`).toThrow(TypeError);
		expect(() => ident('a; DROP')).toThrow(TypeError);
		expect(sql`SELECT * FROM ${ident('otel_traces')}`.text).toBe('SELECT * FROM `otel_traces`');
	});
});

describe('migrations on embedded chDB', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
	});
	afterAll(async () => t?.cleanup());

	it('creates the exporter tables and records what ran; a second run does nothing', async () => {
		const tables = await t.db.query<{ name: string }>(
			sql`SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name`
		);
		const names = tables.map((r) => r.name);
		for (const n of ['otel_traces', 'otel_logs', 'otel_traces_trace_id_ts', 'otel_traces_trace_id_ts_mv', 'business_key_index']) {
			expect(names).toContain(n);
		}
		expect(names.some((n) => n.startsWith('business_keys_spans_mv_'))).toBe(true);
		const recorded = await t.db.query<{ c: number }>(sql`SELECT count() AS c FROM syncscope_migrations FINAL`);
		expect(recorded[0].c).toBe(listMigrations().length);
		expect(await migrate(t.db, t.config)).toEqual([]);
		expect(names).not.toContain('business_keys');
	});

	it('moves the key rows of the pre-152 business_keys table into business_key_index, once', async () => {
		// the store as an older release left it: business_keys (migration 004) with rows in it
		const old = listMigrations().find((m) => m.version === 4)!;
		for (const stmt of splitStatements(renderMigration(old.text, t.config))) await t.db.exec(raw(stmt));
		await t.db.insertRows('business_keys', [
			{ KeyValue: 'SO-OLD-1', KeyName: 'correlation_id', Timestamp: '2026-11-20 10:00:00.000000000', TraceId: 'a'.repeat(32), SpanId: 'b'.repeat(16), ServiceName: 'crm', Signal: 'span', Flow: 'order-to-cash' },
			{ KeyValue: 'SO-OLD-2', KeyName: 'correlation_id', Timestamp: '2026-11-21 10:00:00.000000000', TraceId: 'c'.repeat(32), SpanId: 'd'.repeat(16), ServiceName: 'erp', Signal: 'span', Flow: 'order-to-cash' }
		]);
		expect(await migrate(t.db, t.config)).toEqual(['business_keys → business_key_index (2 rows)']);
		const moved = await t.db.query<{ KeyValue: string }>(sql`SELECT KeyValue FROM business_key_index WHERE KeyValue LIKE 'SO-OLD-%' ORDER BY KeyValue`);
		expect(moved.map((r) => r.KeyValue)).toEqual(['SO-OLD-1', 'SO-OLD-2']);
		const left = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'business_keys'`);
		expect(left[0].n).toBe(0);
		expect(await migrate(t.db, t.config)).toEqual([]);
	});

	it('round-trips parameters of several types', async () => {
		const rows = await t.db.query<{ s: string; n: number; arr: string[] }>(
			sql`SELECT ${{ String: "it's" }} AS s, ${{ UInt64: 42 }} AS n, ${{ 'Array(String)': ['a', 'b'] }} AS arr`
		);
		expect(rows).toEqual([{ s: "it's", n: 42, arr: ['a', 'b'] }]);
	});

	it('keeps hostile values inside their literal (embedded: parameters are inlined, chdb.ts inline())', async () => {
		const nasty = ["x'); DROP TABLE users; --", 'back\\slash\\', "q\\'uote", '{p1:String}', 'tab\there\nnew', 'nul\0byte', 'ünïcødé ✓'];
		const rows = await t.db.query<{ s: string[]; one: string; m: Record<string, number[]>; d: string; f: number }>(sql`
			SELECT ${{ 'Array(String)': nasty }} AS s, ${{ String: nasty[0] }} AS one, ${{ 'Map(String, Array(UInt32))': { [nasty[2]]: [1, 2] } }} AS m,
				toString(${{ 'DateTime64(3)': new Date('2026-01-02T03:04:05.678Z') }}) AS d, ${{ Float64: -1.5e-7 }} AS f`);
		expect(rows).toEqual([{ s: nasty, one: nasty[0], m: { [nasty[2]]: [1, 2] }, d: '2026-01-02 03:04:05.678', f: -1.5e-7 }]);
		const [{ n }] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'users'`);
		expect(n).toBe(1);
	});

	it('dedups a retried insert with the same token', async () => {
		const ns = `${Math.floor(Date.now() / 1000)}123456789`;
		const body = Buffer.from(
			JSON.stringify({ Timestamp: ns, TraceId: 'aa', SpanId: 'bb', SpanName: 'x', ServiceName: 's' }) + '\n'
		);
		for (let i = 0; i < 3; i++) {
			await t.db.insertRaw('otel_traces', body, { format: 'JSONEachRow', dedupToken: 'batch-1' });
		}
		const r = await t.db.query<{ c: number; ts: string }>(
			sql`SELECT count() AS c, any(toUnixTimestamp64Nano(Timestamp)) AS ts FROM otel_traces WHERE TraceId = 'aa'`
		);
		expect(r[0]).toEqual({ c: 1, ts: Number(ns) });
		const trace = await t.db.query<{ c: number }>(sql`SELECT count() AS c FROM otel_traces_trace_id_ts WHERE TraceId = 'aa'`);
		expect(trace[0].c).toBe(1);
	});

	it('renders cluster DDL and TTLs', () => {
		const out = renderMigration('CREATE TABLE x {{on_cluster}} () ENGINE = {{engine:x}} TTL d + {{ttl_traces_days}}', {
			clickhouseCluster: 'main',
			ttlTracesDays: 7,
			ttlLogsDays: 7,
			ttlKeysDays: 7
		});
		expect(out).toBe(
			"CREATE TABLE x ON CLUSTER main () ENGINE = ReplicatedMergeTree('/clickhouse/tables/{database}/x', '{replica}') TTL d + 7"
		);
		expect(splitStatements('-- c\nA;\nB;\n')).toEqual(['A', 'B']);
		expect(raw('x').text).toBe('x');
	});
});
