/**
 * Migrations runner: numbered, idempotent .sql files in clickhouse/migrations/, applied in order and
 * recorded in syncscope_migrations. Every statement is IF NOT EXISTS, so two runners racing (two
 * `syncscope migrate` at once) or a second run do no harm. With a cluster configured, sharded tables
 * get a local table plus a Distributed table (cluster.ts); then the configured TTLs are applied to
 * existing tables (retention.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config';
import { clusterStatements, replicatedEngine } from './cluster';
import { ensureKeyViews, moveLegacyKeyIndex } from './key-index';
import { applyRetention } from './retention';
import { raw, sql } from './sql';
import type { Db } from './types';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../clickhouse/migrations', import.meta.url));

type TemplateConfig = Pick<Config, 'clickhouseCluster' | 'ttlTracesDays' | 'ttlLogsDays' | 'ttlKeysDays'> &
	Partial<Pick<Config, 'keyAliases' | 'clickhouseDatabase'>>;

/** Expand {{on_cluster}}, {{engine:table[:Engine[(args)]]}} and {{ttl_*}} in a migration file. */
export function renderMigration(text: string, c: TemplateConfig): string {
	const cluster = c.clickhouseCluster;
	return text
		.replaceAll('{{on_cluster}}', cluster ? `ON CLUSTER ${cluster}` : '')
		.replace(/\{\{engine:([a-z0-9_]+)(?::([A-Za-z]+)(?:\(([^)]*)\))?)?\}\}/g, (_m, table: string, engine = 'MergeTree', args?: string) =>
			cluster ? replicatedEngine(table, engine, args) : args ? `${engine}(${args})` : engine
		)
		.replaceAll('{{ttl_traces_days}}', String(c.ttlTracesDays))
		.replaceAll('{{ttl_logs_days}}', String(c.ttlLogsDays))
		.replaceAll('{{ttl_keys_days}}', String(c.ttlKeysDays));
}

/** The statements a migration runs: rendered, split, and expanded for the cluster when one is set. */
export function renderStatements(text: string, c: TemplateConfig): string[] {
	const stmts = splitStatements(renderMigration(text, c));
	if (!c.clickhouseCluster) return stmts;
	const target = { cluster: c.clickhouseCluster, database: c.clickhouseDatabase ?? 'default' };
	return stmts.flatMap((s) => clusterStatements(s, target));
}

/** Split a file into statements at semicolons that end a line; comments are dropped. */
export function splitStatements(text: string): string[] {
	return text
		.split(/;\s*(?:\n|$)/)
		.map((s) =>
			s
				.split('\n')
				.filter((l) => !l.trim().startsWith('--'))
				.join('\n')
				.trim()
		)
		.filter(Boolean);
}

export interface MigrationFile {
	version: number;
	name: string;
	text: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
	return readdirSync(dir)
		.filter((f) => /^\d+_.+\.sql$/.test(f))
		.map((f) => ({ version: Number(f.split('_')[0]), name: f, text: readFileSync(joinPath(dir, f), 'utf8') }))
		.sort((a, b) => a.version - b.version);
}

/** Apply every migration not yet recorded; returns the names applied this time. */
export async function migrate(db: Db, c: TemplateConfig, dir = MIGRATIONS_DIR): Promise<string[]> {
	const onCluster = c.clickhouseCluster ? `ON CLUSTER ${c.clickhouseCluster}` : '';
	await db.exec(
		raw(`CREATE TABLE IF NOT EXISTS syncscope_migrations ${onCluster} (
			version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
		) ENGINE = ${c.clickhouseCluster ? replicatedEngine('syncscope_migrations', 'ReplacingMergeTree') : 'ReplacingMergeTree'} ORDER BY version`)
	);
	const recorded = async () =>
		new Set((await db.query<{ version: number }>(sql`SELECT version FROM syncscope_migrations FINAL`)).map((r) => r.version));
	let done = await recorded();
	const applied: string[] = [];
	for (const m of listMigrations(dir)) {
		if (done.has(m.version)) continue;
		// another `syncscope migrate` running at the same time may have applied it meanwhile: a later
		// migration can drop what an earlier one creates (150 → 151), so do not replay it behind one
		done = await recorded();
		if (done.has(m.version)) continue;
		for (const stmt of renderStatements(m.text, c)) await db.exec(raw(stmt));
		await db.insertRows('syncscope_migrations', [
			{ version: m.version, name: m.name, checksum: createHash('sha256').update(m.text).digest('hex') }
		]);
		applied.push(m.name);
	}
	const target = { cluster: c.clickhouseCluster, database: c.clickhouseDatabase ?? 'default' };
	await ensureKeyViews(db, { keyAliases: c.keyAliases ?? {} }, onCluster, (ddl) =>
		c.clickhouseCluster ? clusterStatements(ddl, target)[0] : ddl
	);
	const moved = await moveLegacyKeyIndex(db, async (ddl) => {
		for (const stmt of c.clickhouseCluster ? clusterStatements(`${ddl} ${onCluster}`, target) : [ddl]) await db.exec(raw(stmt));
	});
	if (moved) applied.push(`business_keys → business_key_index (${moved.toLocaleString('en-US')} rows)`);
	const retention = await applyRetention(db, c);
	return [...applied, ...retention.map((r) => `retention ${r}`)];
}
