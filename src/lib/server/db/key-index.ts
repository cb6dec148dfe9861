/**
 * The business-key index's materialized views. They read only the interpretation layer's output
 * (src/lib/server/interpret): the contract's keys and every `integration.key.<name>` attribute, which
 * the layer derives from the rule file's `keys:` and SYNCSCOPE_KEY_ALIASES. So a key alias or rule
 * reaches lineage, exceptions and SLA at once, and changing one needs no new view. A view's name
 * carries a hash of its definition, so a changed definition creates the new view and drops the old.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { raw, sql } from './sql';
import type { Db } from './types';

/** The index the views fill (migration 152; business_keys before it). */
export const KEY_INDEX = 'business_key_index';

/** Key name → the contract attribute that carries it (after interpretation). */
export const CONTRACT_KEYS: Record<string, string> = {
	correlation_id: 'integration.correlation_id',
	message_id: 'integration.message_id',
	idempotency_key: 'integration.idempotency_key'
};

function selectFor(attrsCol: string): string {
	const tuples = Object.entries(CONTRACT_KEYS).map(([k, a]) => `('${k}', ${attrsCol}['${a}'])`);
	tuples.push(`(${attrsCol}['integration.entity.type'], ${attrsCol}['integration.entity.id'])`);
	const named = `arrayMap(k -> (substring(k, 17), ${attrsCol}[k]), arrayFilter(k -> startsWith(k, 'integration.key.'), mapKeys(${attrsCol})))`;
	return `arrayFilter(x -> x.1 != '' AND x.2 != '', arrayConcat([${tuples.join(', ')}], ${named}))`;
}

export function keyViewDefinitions(_c: Pick<Config, 'keyAliases'>, onCluster = ''): { name: string; ddl: string }[] {
	const spans = `SELECT kv.2 AS KeyValue, kv.1 AS KeyName, Timestamp, TraceId, SpanId, ServiceName,
  'span' AS Signal, SpanAttributes['integration.flow'] AS Flow
FROM otel_traces
ARRAY JOIN ${selectFor('SpanAttributes')} AS kv`;
	const logs = `SELECT kv.2 AS KeyValue, kv.1 AS KeyName, Timestamp, TraceId, SpanId, ServiceName,
  'log' AS Signal, LogAttributes['integration.flow'] AS Flow
FROM otel_logs
ARRAY JOIN ${selectFor('LogAttributes')} AS kv`;
	return [
		['business_keys_spans_mv', spans],
		['business_keys_logs_mv', logs]
	].map(([base, select]) => {
		// the target is part of the definition: views of an earlier table get new names, so they are replaced
		const hash = createHash('sha256').update(`${KEY_INDEX}\n${select}`).digest('hex').slice(0, 10);
		const name = `${base}_${hash}`;
		return { name, ddl: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ${onCluster} TO ${KEY_INDEX} AS ${select}` };
	});
}

/** Create the views for the current aliases and drop views for earlier alias sets. */
export async function ensureKeyViews(
	db: Db,
	c: Pick<Config, 'keyAliases'>,
	onCluster = '',
	/** the cluster variant points the views at local tables (cluster.ts) */
	rewrite: (ddl: string) => string = (ddl) => ddl
): Promise<void> {
	const defs = keyViewDefinitions(c, onCluster);
	for (const d of defs) await db.exec(raw(rewrite(d.ddl)));
	const existing = await db.query<{ name: string }>(
		sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'business\\_keys\\_%\\_mv\\_%'`
	);
	const keep = new Set(defs.map((d) => d.name));
	for (const { name } of existing) {
		if (!keep.has(name) && /^business_keys_(spans|logs)_mv_[0-9a-f]{10}$/.test(name)) {
			await db.exec(raw(`DROP VIEW IF EXISTS ${name} ${onCluster}`));
		}
	}
}

/**
 * Once the views write to business_key_index (migration 152), move the rows of the old
 * business_keys table there and drop it. The copy runs after the switch, so nothing written before
 * or after it is missed; a copy interrupted before the drop is repeated (duplicate key rows are
 * harmless: lookups group by trace).
 */
export async function moveLegacyKeyIndex(db: Db, run: (ddl: string) => Promise<void>): Promise<number> {
	const [old] = await db.query<{ n: number }>(sql`SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'business_keys'`);
	if (!old || Number(old.n) === 0) return 0;
	try {
		const [{ rows }] = await db.query<{ rows: number }>(raw('SELECT count() AS rows FROM business_keys'));
		if (Number(rows) > 0) await db.exec(raw(`INSERT INTO ${KEY_INDEX} SELECT * FROM business_keys`));
		await run('DROP TABLE IF EXISTS business_keys');
		return Number(rows);
	} catch (e) {
		// two `syncscope migrate` at once: the other one moved and dropped it first
		if (isUnknownTable(e)) return 0;
		throw e;
	}
}

/** ClickHouse UNKNOWN_TABLE (code 60), from either transport. */
function isUnknownTable(e: unknown): boolean {
	const code = String((e as { code?: unknown })?.code ?? '');
	return code === '60' || /\bCode: 60\b|UNKNOWN_TABLE/.test((e as Error)?.message ?? '');
}
