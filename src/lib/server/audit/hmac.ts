/**
 * The audit log's HMAC, keyed outside ClickHouse: HMAC-SHA256 with a key derived from the
 * installation's secret key (secret-key.ts). Each row's Mac covers its Hash, which covers the row
 * and, through PrevHash, every row before it; so rewriting any row and recomputing the hashes after
 * it breaks the first HMAC at or after the rewrite, and a writer without the key cannot mend it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { derivedKey, existingSecretKey, secretKey } from '../secret-key';

const PURPOSE = 'audit-hmac-v1';

/** The key appends sign with (created with the secret key on first use in embedded mode). */
export function auditKey(): Buffer {
	return derivedKey(secretKey(), PURPOSE);
}

/** The key, if the secret key exists; verification never creates one. */
export function existingAuditKey(): Buffer | null {
	const master = existingSecretKey();
	return master && derivedKey(master, PURPOSE);
}

/** Hex HMAC over a labelled text (the label keeps a row's MAC from passing as a checkpoint's). */
export function auditMac(key: Buffer, label: 'row' | 'checkpoint', text: string): string {
	return createHmac('sha256', key).update(`syncscope-audit-${label}.v1\n${text}`).digest('hex');
}

export function macEquals(a: string, b: string): boolean {
	const x = Buffer.from(a, 'hex');
	const y = Buffer.from(b, 'hex');
	return x.length === 32 && x.length === y.length && timingSafeEqual(x, y);
}
