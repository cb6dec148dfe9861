/**
 * What the store holds after a fault: rows, distinct spans by (TraceId, SpanId), which acknowledged
 * spans are missing, and the counts a console query makes (each span once).
 */
import { sql, type Db } from '../../../src/lib/server/db';

export interface StoreCounts {
	/** rows in otel_traces for the run's service (re-sent spans may be stored twice) */
	rows: number;
	/** distinct (TraceId, SpanId) */
	distinct: number;
	duplicates: number;
	/** acknowledged spans not found in the store: must be 0 */
	ackedMissing: number;
	/** distinct spans the lineage index finds by correlation ID (a console count) */
	lineageDistinct: number;
}

export async function storeCounts(db: Db, service: string, ackedKeys: Set<string>): Promise<StoreCounts> {
	const [agg] = await db.query<{ rows: number; distinct: number }>(
		sql`SELECT count() AS rows, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces WHERE ServiceName = ${{ String: service }}`
	);
	const stored = new Set(
		(
			await db.query<{ k: string }>(
				sql`SELECT DISTINCT concat(TraceId, ':', SpanId) AS k FROM otel_traces WHERE ServiceName = ${{ String: service }}`
			)
		).map((r) => r.k)
	);
	let ackedMissing = 0;
	for (const k of ackedKeys) if (!stored.has(k)) ackedMissing++;
	const [lineage] = await db.query<{ n: number }>(
		sql`SELECT uniqExact(TraceId, SpanId) AS n FROM business_key_index
			WHERE KeyName = 'correlation_id' AND startsWith(KeyValue, ${{ String: `SO-${service}-` }})`
	);
	return { rows: agg.rows, distinct: agg.distinct, duplicates: agg.rows - agg.distinct, ackedMissing, lineageDistinct: lineage.n };
}

/** One line a test prints, and the report quotes. */
export function report(name: string, figures: Record<string, number | string>): void {
	const text = Object.entries(figures)
		.map(([k, v]) => `${k}=${v}`)
		.join(' ');
	console.log(`[fault:${name}] ${text}`);
}
