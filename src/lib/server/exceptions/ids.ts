/** The stable exception id, computed exactly as the materialized views do (migrations 200, 205): key = message ID, else idempotency key, else `correlation:<id>`, else `trace:<trace>:<span>`. */
import { createHash } from 'node:crypto';

export function exceptionId(flow: string, key: string): string {
	return createHash('sha256').update(`${flow}|${key}`).digest('hex').slice(0, 32);
}
