/**
 * The cluster variant of the schema (CLICKHOUSE_CLUSTER set). Large telemetry tables are sharded:
 * the migration's table becomes `<name>_local` (ReplicatedMergeTree, one copy per shard's replicas)
 * plus a Distributed table `<name>` over it, so every query and insert keeps using `<name>`.
 * Materialized views fire on the local tables (an insert into the Distributed table lands in a
 * shard's local table) and write to local targets on the same shard. Every other table is small
 * (users, config, the action log) and is replicated to every node, with no Distributed table.
 * https://clickhouse.com/docs/engines/table-engines/special/distributed
 */

/** Sharded tables and their sharding keys: a trace's spans, logs and keys share one shard. */
export const SHARDED: Readonly<Record<string, string>> = {
	otel_traces: 'cityHash64(TraceId)',
	otel_logs: 'cityHash64(TraceId)',
	otel_traces_trace_id_ts: 'cityHash64(TraceId)',
	// created by migration 004, moved into business_key_index (152); kept so its DROP expands too
	business_keys: 'cityHash64(TraceId)',
	business_key_index: 'cityHash64(TraceId)',
	// created by migration 150, dropped by 151; kept so both still expand to the same two tables
	lineage_span_attributes: 'cityHash64(TraceId)',
	lineage_spans: 'cityHash64(TraceId)'
};

export interface ClusterTarget {
	cluster: string;
	database: string;
}

/** Keeper path of a replicated table: per shard for sharded tables, one for every node otherwise. */
export function replicatedEngine(table: string, engine: string, args?: string): string {
	const path = table in SHARDED ? `/clickhouse/tables/{shard}/{database}/${table}` : `/clickhouse/tables/{database}/${table}`;
	// the engine's own arguments (a ReplacingMergeTree's version column) follow path and replica
	return `Replicated${engine}('${path}', '{replica}'${args ? `, ${args}` : ''})`;
}

const local = (name: string) => (name in SHARDED ? `${name}_local` : name);

/**
 * Expand one rendered statement for the cluster: CREATE TABLE of a sharded table → local table +
 * Distributed table; DROP TABLE of one drops both; views read and write local tables; ALTERs go to
 * the local table (and, for column changes, to the Distributed table as well so its structure follows).
 */
export function clusterStatements(stmt: string, t: ClusterTarget): string[] {
	const create = stmt.match(/^(CREATE TABLE IF NOT EXISTS\s+)([A-Za-z0-9_]+)\b/);
	if (create && create[2] in SHARDED) {
		const name = create[2];
		return [
			stmt.replace(create[0], `${create[1]}${name}_local`),
			`CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER ${t.cluster} AS ${name}_local\nENGINE = Distributed(${t.cluster}, ${t.database}, ${name}_local, ${SHARDED[name]})`
		];
	}
	const drop = stmt.match(/^DROP TABLE IF EXISTS\s+([A-Za-z0-9_]+)\b/);
	if (drop && drop[1] in SHARDED) {
		// the Distributed table first: nothing reads the local table through it while it goes
		return [stmt, stmt.replace(drop[0], `DROP TABLE IF EXISTS ${drop[1]}_local`)];
	}
	if (/^CREATE MATERIALIZED VIEW/.test(stmt)) {
		return [stmt.replace(/\b(TO|FROM)\s+([A-Za-z0-9_]+)\b/g, (_m, kw: string, name: string) => `${kw} ${local(name)}`)];
	}
	if (/^ALTER TABLE\s+[A-Za-z0-9_]+\b[^;]*\bMODIFY QUERY\b/.test(stmt)) {
		// a view's new query reads local tables too
		return [stmt.replace(/\bFROM\s+([A-Za-z0-9_]+)\b/g, (_m, name: string) => `FROM ${local(name)}`)];
	}
	const alter = stmt.match(/^ALTER TABLE\s+([A-Za-z0-9_]+)\b/);
	if (alter && alter[1] in SHARDED) {
		const onLocal = stmt.replace(alter[0], `ALTER TABLE ${alter[1]}_local`);
		return /\b(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN\b/.test(stmt) ? [onLocal, stmt] : [onLocal];
	}
	return [stmt];
}

/** Name of the table that holds the data (the local table for sharded tables in a cluster). */
export function storageTable(name: string, cluster: string): string {
	return cluster ? local(name) : name;
}
