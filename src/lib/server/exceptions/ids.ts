/** The stable exception id, computed exactly as the materialized views do (migration 200). */
import { createHash } from 'node:crypto';

export function exceptionId(flow: string, key: string): string {
	return createHash('sha256').update(`${flow}|${key}`).digest('hex').slice(0, 32);
}
