/**
 * What one span or log record may carry, checked per item so a bad one is rejected (or cut) on its
 * own and never takes the good items of its request down (OTLP partial success:
 * https://opentelemetry.io/docs/specs/otlp/#partial-success):
 * - times: a span's start must be set (not 0), not older than the retention (it would be dropped
 *   unseen) and no later than the allowed clock skew into the future (a failure "in 2200" would
 *   stay the newest event of its message forever);
 * - sizes: an attribute value or a log body over its limit is cut at a UTF-8 boundary, marked
 *   `…[truncated by Syncscope: <n> bytes, sha256 <hex>]`, and the original's size and hash are kept
 *   in `syncscope.truncated` (`<key>=<bytes>:<sha256>,…`; `body` for a log body).
 */
export { isTruncated, truncate, type Truncated } from '../../src/lib/server/truncation';

/**
 * The attribute-value limit of the decode in progress (decoding is synchronous, one request at a
 * time), so the value writers deep in the decoders need no extra parameter. Infinity: no limit.
 */
export const VALUE_LIMIT = { attributeBytes: Infinity };

/** Run a decode with the given limits in force. */
export function withLimits<T>(limits: IngestLimits | null, run: () => T): T {
	VALUE_LIMIT.attributeBytes = limits?.maxAttributeBytes ?? Infinity;
	try {
		return run();
	} finally {
		VALUE_LIMIT.attributeBytes = Infinity;
	}
}

export interface IngestLimits {
	/** earliest accepted time (ns since epoch) */
	minNs: bigint;
	/** latest accepted time (ns since epoch) */
	maxNs: bigint;
	retentionDays: number;
	futureMinutes: number;
	/** attribute values (span, resource, event, link, log) */
	maxAttributeBytes: number;
	maxLogBodyBytes: number;
}

export function ingestLimits(o: { retentionDays: number; futureMinutes: number; maxAttributeBytes: number; maxLogBodyBytes: number }, now = Date.now()): IngestLimits {
	const nowNs = BigInt(now) * 1_000_000n;
	return {
		...o,
		minNs: nowNs - BigInt(o.retentionDays) * 86_400_000_000_000n,
		maxNs: nowNs + BigInt(o.futureMinutes) * 60_000_000_000n
	};
}

const iso = (ns: bigint) => {
	const ms = Number(ns / 1_000_000n);
	return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ns} ns`;
};

/** Why a span's times are not accepted, or ''. */
export function spanTimeProblem(start: bigint, end: bigint, l: IngestLimits): string {
	if (start === 0n) return 'start_time_unix_nano is not set (0)';
	if (start < l.minNs) return `start time ${iso(start)} is older than the retention (${l.retentionDays} days)`;
	if (end > l.maxNs) return `end time ${iso(end)} is more than ${l.futureMinutes} minutes in the future`;
	return '';
}

/** Why a log record's time is not accepted, or ''. */
export function recordTimeProblem(time: bigint, l: IngestLimits): string {
	if (time < l.minNs) return `time ${iso(time)} is older than the retention (${l.retentionDays} days)`;
	if (time > l.maxNs) return `time ${iso(time)} is more than ${l.futureMinutes} minutes in the future`;
	return '';
}
