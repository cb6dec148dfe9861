/**
 * The cluster variant of the migrations: sharded tables become `<name>_local` + Distributed, views
 * read and write local tables, everything carries ON CLUSTER, and the single-node output stays as
 * it was. No cluster runs here, so every cluster statement is checked by the real ClickHouse parser
 * (formatQuery) instead; retention changes are applied to a live store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/lib/server/db';
import { keyViewDefinitions } from '../src/lib/server/db/key-index';
import { listMigrations, migrate, renderMigration, renderStatements, splitStatements } from '../src/lib/server/db/migrate';
import { clusterStatements, SHARDED } from '../src/lib/server/db/cluster';
import { currentTtlDays, RETENTION } from '../src/lib/server/db/retention';
import { testDb, type TestDb } from './helpers/db';

const ttl = { ttlTracesDays: 30, ttlLogsDays: 30, ttlKeysDays: 90 };
const cluster = { ...ttl, clickhouseCluster: 'syncscope', clickhouseDatabase: 'syncscope' };
const single = { ...ttl, clickhouseCluster: '' };

function allStatements(c: typeof cluster | typeof single): string[] {
	return listMigrations().flatMap((m) => renderStatements(m.text, c));
}

describe('cluster DDL', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
	});
	afterAll(async () => t?.cleanup());

	it('creates a replicated local table and a Distributed table for every sharded table', () => {
		const stmts = allStatements(cluster);
		for (const [name, key] of Object.entries(SHARDED)) {
			const localDdl = stmts.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${name}_local ON CLUSTER syncscope`));
			expect(localDdl, name).toContain(`ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/${name}', '{replica}')`.replace('MergeTree', name === 'otel_traces_trace_id_ts' ? 'AggregatingMergeTree' : 'MergeTree'));
			expect(stmts).toContain(
				`CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER syncscope AS ${name}_local\nENGINE = Distributed(syncscope, syncscope, ${name}_local, ${key})`
			);
		}
		const mv = stmts.find((s) => s.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv'));
		expect(mv).toMatch(/TO otel_traces_trace_id_ts_local\b/);
		expect(mv).toMatch(/FROM otel_traces_local\b/);
		// DDL runs on every node; a backfill INSERT … SELECT runs once, through the Distributed tables
		for (const s of stmts) if (!s.startsWith('INSERT ')) expect(s, s.slice(0, 60)).toMatch(/ON CLUSTER syncscope/);
		const backfill = stmts.find((s) => s.startsWith('INSERT INTO lineage_spans'));
		expect(backfill).toMatch(/FROM otel_traces\n/);
		// a dropped sharded table goes on every node, with its local table
		expect(stmts).toContain('DROP TABLE IF EXISTS lineage_span_attributes ON CLUSTER syncscope');
		expect(stmts).toContain('DROP TABLE IF EXISTS lineage_span_attributes_local ON CLUSTER syncscope');
	});

	it('points the business-key views at local tables', () => {
		for (const d of keyViewDefinitions({ keyAliases: {} }, 'ON CLUSTER syncscope')) {
			const [ddl] = clusterStatements(d.ddl, { cluster: 'syncscope', database: 'syncscope' });
			expect(ddl).toMatch(/TO business_key_index_local AS/);
			expect(ddl).toMatch(/FROM otel_(traces|logs)_local\b/);
		}
	});

	it('sends column changes to both tables and TTL changes to the local one', () => {
		const target = { cluster: 'c', database: 'd' };
		expect(clusterStatements('ALTER TABLE otel_traces ON CLUSTER c ADD COLUMN IF NOT EXISTS X String', target)).toEqual([
			'ALTER TABLE otel_traces_local ON CLUSTER c ADD COLUMN IF NOT EXISTS X String',
			'ALTER TABLE otel_traces ON CLUSTER c ADD COLUMN IF NOT EXISTS X String'
		]);
		expect(clusterStatements('ALTER TABLE otel_logs MODIFY TTL TimestampTime + toIntervalDay(3)', target)).toEqual([
			'ALTER TABLE otel_logs_local MODIFY TTL TimestampTime + toIntervalDay(3)'
		]);
		expect(clusterStatements('CREATE TABLE IF NOT EXISTS users ON CLUSTER c (a String) ENGINE = X', target)).toHaveLength(1);
	});

	it('every cluster statement parses in ClickHouse', async () => {
		const views = keyViewDefinitions({ keyAliases: { sales_order: ['order.id'] } }, 'ON CLUSTER syncscope').map(
			(d) => clusterStatements(d.ddl, { cluster: 'syncscope', database: 'syncscope' })[0]
		);
		for (const stmt of [...allStatements(cluster), ...views]) {
			const [row] = await t.db.query<{ f: string }>(sql`SELECT formatQuery(${{ String: stmt }}) AS f`);
			expect(row.f.length).toBeGreaterThan(0);
		}
	});

	it('leaves the single-node output unchanged: no ON CLUSTER, no Replicated, no Distributed', () => {
		for (const m of listMigrations()) {
			expect(renderStatements(m.text, single)).toEqual(splitStatements(renderMigration(m.text, single)));
		}
		const joined = allStatements(single).join('\n');
		expect(joined).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local\b/);
	});
});

describe('retention', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
	});
	afterAll(async () => t?.cleanup());

	const days = async (table: string) => {
		const [r] = await t.db.query<{ e: string }>(sql`SELECT engine_full AS e FROM system.tables WHERE database = currentDatabase() AND name = ${{ String: table }}`);
		return currentTtlDays(r.e);
	};

	it('has a rule for every table whose TTL comes from a setting, matching its migration', () => {
		const templated = listMigrations()
			.flatMap((m) => [...m.text.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)(?:(?!CREATE )[\s\S])*?TTL ([^\n]+?) \+ toIntervalDay\(\{\{(ttl_\w+)\}\}\)/g)])
			.map(([, table, expr, key]) => ({ table, expr, key }));
		// a table a later migration drops (lineage_span_attributes, 150 → 151) needs no rule
		const dropped = new Set(listMigrations().flatMap((m) => [...m.text.matchAll(/^DROP TABLE IF EXISTS (\w+)/gm)].map(([, table]) => table)));
		// business_keys (004) is moved into business_key_index and dropped by migrate() itself (152)
		dropped.add('business_keys');
		const settingOf: Record<string, string> = { ttl_traces_days: 'ttlTracesDays', ttl_logs_days: 'ttlLogsDays', ttl_keys_days: 'ttlKeysDays' };
		expect(templated.length).toBeGreaterThan(0);
		expect(dropped).toContain('lineage_span_attributes');
		for (const t of templated) {
			if (dropped.has(t.table)) expect(RETENTION.map((r) => r.table)).not.toContain(t.table);
			else expect(RETENTION, t.table).toContainEqual({ table: t.table, expr: t.expr, setting: settingOf[t.key] });
		}
	});

	it('applies a changed TTL setting to existing tables, once', async () => {
		expect(await days('otel_traces')).toBe(30);
		const changed = await migrate(t.db, { ...t.config, ttlTracesDays: 7, ttlKeysDays: 14 });
		expect(changed).toEqual(
			RETENTION.filter((r) => r.setting !== 'ttlLogsDays').map(
				(r) => `retention ${r.table}: ${r.setting === 'ttlKeysDays' ? '90 → 14' : '30 → 7'} days`
			)
		);
		expect(await days('otel_traces')).toBe(7);
		expect(await days('otel_traces_trace_id_ts')).toBe(7);
		expect(await days('otel_logs')).toBe(30);
		expect(await days('business_key_index')).toBe(14);
		for (const r of RETENTION) expect(await days(r.table), r.table).toBe(r.setting === 'ttlLogsDays' ? 30 : r.setting === 'ttlKeysDays' ? 14 : 7);
		expect(await migrate(t.db, { ...t.config, ttlTracesDays: 7, ttlKeysDays: 14 })).toEqual([]);
	});
});
