/**
 * Values cut at ingest (collector/signals/limits.ts): the text up to the limit at a UTF-8 boundary,
 * then `…[truncated by Syncscope: <bytes> bytes, sha256 <hex>]` naming the original's size and hash.
 * Pages and the replay check recognise the marker here.
 */
import { createHash } from 'node:crypto';

export interface Truncated {
	text: string;
	/** `<bytes>:<sha256>` of the original */
	note: string;
}

/** The text cut to `max` bytes (UTF-8 boundary) with the marker, and the original's size and hash. */
export function truncate(original: string | Buffer, max: number): Truncated {
	const bytes = typeof original === 'string' ? Buffer.from(original) : original;
	const sha = createHash('sha256').update(bytes).digest('hex');
	let cut = Math.max(0, max);
	while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
	return {
		text: `${bytes.toString('utf8', 0, cut)}…[truncated by Syncscope: ${bytes.length} bytes, sha256 ${sha}]`,
		note: `${bytes.length}:${sha}`
	};
}

/** True when a stored value carries the truncation marker (a cut payload must not be replayed). */
export function isTruncated(text: string): boolean {
	return /…\[truncated by Syncscope: \d+ bytes, sha256 [0-9a-f]{64}\]$/.test(text);
}
