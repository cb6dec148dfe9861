/**
 * The exception behind a business key, for pages that list keys (reconciliation drill-downs): the
 * latest failure of the flow whose correlation ID, message ID, idempotency key or entity ID is the key.
 */
import { db, sql, type Db } from '../db';

/** key → the id of its latest exception in the flow (keys without one are absent). */
export async function exceptionsByKey(flow: string, keys: readonly string[], d: Db = db()): Promise<Map<string, string>> {
	if (keys.length === 0) return new Map();
	const rows = await d.query<{ k: string; id: string }>(sql`
		SELECT k, argMax(ExceptionId, Timestamp) AS id FROM exception_events
		ARRAY JOIN arrayDistinct([CorrelationId, MessageId, IdempotencyKey, EntityId]) AS k
		WHERE Flow = ${{ String: flow }} AND k IN ${{ 'Array(String)': keys }}
		GROUP BY k`);
	return new Map(rows.map((r) => [r.k, r.id]));
}
