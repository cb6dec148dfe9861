/** Random identifiers and secrets, and their hashes: the only form in which secrets are stored. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lower-case base32 without padding (Lucia's alphabet): URL- and cookie-safe, unambiguous. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

export function randomString(length: number): string {
	const bytes = randomBytes(length);
	let out = '';
	// 256 is a multiple of 32, so `b % 32` is unbiased
	for (const b of bytes) out += ALPHABET[b % 32];
	return out;
}

export function sha256Hex(s: string): string {
	return createHash('sha256').update(s).digest('hex');
}

/** Compare two hex digests in constant time (no early exit on the first differing byte). */
export function hashesEqual(a: string, b: string): boolean {
	const x = Buffer.from(a, 'hex');
	const y = Buffer.from(b, 'hex');
	return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** A monotonic row version: newer writes of the same row always compare greater. */
let last = 0;
export function nextVersion(nowMs: number): number {
	last = Math.max(last + 1, nowMs * 1000);
	return last;
}
