/**
 * Retention by TTL, per table, from config. A migration creates a table with the TTL configured at
 * that moment; when the setting changes later, this step brings existing tables to it with
 * `ALTER TABLE … MODIFY TTL` (run by `syncscope migrate` and `start`, and only when the days differ,
 * since MODIFY TTL rewrites TTL information of every part).
 * https://clickhouse.com/docs/guides/developer/ttl
 */
import type { Config } from '../config';
import { storageTable } from './cluster';
import { raw, sql } from './sql';
import type { Db } from './types';

type TtlKey = 'ttlTracesDays' | 'ttlLogsDays' | 'ttlKeysDays';

export interface RetentionRule {
	table: string;
	/** the time expression the TTL adds days to, exactly as in the migration */
	expr: string;
	setting: TtlKey;
}

export const RETENTION: readonly RetentionRule[] = [
	{ table: 'otel_traces', expr: 'toDateTime(Timestamp)', setting: 'ttlTracesDays' },
	{ table: 'otel_traces_trace_id_ts', expr: 'toDateTime(Start)', setting: 'ttlTracesDays' },
	{ table: 'otel_logs', expr: 'TimestampTime', setting: 'ttlLogsDays' },
	{ table: 'business_key_index', expr: 'toDateTime(Timestamp)', setting: 'ttlKeysDays' },
	// tables other domains fill from spans and logs, with the same retention as their source
	{ table: 'lineage_spans', expr: 'toDateTime(Timestamp)', setting: 'ttlTracesDays' },
	{ table: 'exception_events', expr: 'toDateTime(Timestamp)', setting: 'ttlTracesDays' },
	{ table: 'message_successes', expr: 'toDateTime(Timestamp)', setting: 'ttlTracesDays' },
	{ table: 'exception_current', expr: 'toDateTime(LastSeen)', setting: 'ttlTracesDays' },
	{ table: 'sla_tx_traces', expr: 'StartMinute', setting: 'ttlTracesDays' },
	{ table: 'sla_tx_steps', expr: 'StartMinute', setting: 'ttlTracesDays' },
	{ table: 'sla_transactions', expr: 'StartMinute', setting: 'ttlTracesDays' },
	{ table: 'sla_step_minute', expr: 'Minute', setting: 'ttlTracesDays' },
	{ table: 'sla_tx_minute', expr: 'Minute', setting: 'ttlTracesDays' },
	{ table: 'sla_tx_hour', expr: 'Hour', setting: 'ttlTracesDays' },
	{ table: 'sla_step_hour', expr: 'Hour', setting: 'ttlTracesDays' },
	{ table: 'sla_milestone_minute', expr: 'Minute', setting: 'ttlTracesDays' },
	{ table: 'sla_milestone_hour', expr: 'Hour', setting: 'ttlTracesDays' },
	{ table: 'sla_dead_letters_minute', expr: 'Minute', setting: 'ttlLogsDays' },
	{ table: 'recon_points', expr: 'toDateTime(Timestamp)', setting: 'ttlTracesDays' },
	{ table: 'recon_control_totals', expr: 'toDateTime(WindowStart)', setting: 'ttlLogsDays' },
	{ table: 'recon_results', expr: 'toDateTime(WindowFrom)', setting: 'ttlTracesDays' }
];

export type RetentionConfig = Pick<Config, TtlKey | 'clickhouseCluster'>;

/** The TTL days a table has now (from its engine definition), or null if it has no day TTL. */
export function currentTtlDays(engineFull: string): number | null {
	const m = engineFull.match(/\bTTL\s+.*?toIntervalDay\((\d+)\)/);
	return m ? Number(m[1]) : null;
}

/** Apply the configured TTLs; returns the tables changed, e.g. ['otel_traces: 30 → 7 days']. */
export async function applyRetention(db: Db, c: RetentionConfig): Promise<string[]> {
	const onCluster = c.clickhouseCluster ? ` ON CLUSTER ${c.clickhouseCluster}` : '';
	const changed: string[] = [];
	for (const rule of RETENTION) {
		const table = storageTable(rule.table, c.clickhouseCluster);
		const rows = await db.query<{ engine_full: string }>(
			sql`SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = ${{ String: table }}`
		);
		if (rows.length === 0) continue;
		const want = c[rule.setting];
		const have = currentTtlDays(rows[0].engine_full);
		if (have === want) continue;
		// names and expressions come from RETENTION above and the days are a validated integer
		await db.exec(raw(`ALTER TABLE ${table}${onCluster} MODIFY TTL ${rule.expr} + toIntervalDay(${want})`));
		changed.push(`${rule.table}: ${have ?? 'none'} → ${want} days`);
	}
	return changed;
}
