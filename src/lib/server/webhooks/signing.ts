/**
 * Standard Webhooks signatures (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * signature = base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), header value
 * "v1,<signature>" (space-separated when several), key = base64-decoded part of "whsec_<base64>".
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecret(): string {
	return `whsec_${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
	return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
	const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
	return `v1,${mac}`;
}

export interface SignedHeaders {
	'webhook-id': string;
	'webhook-timestamp': string;
	'webhook-signature': string;
}

export function signedHeaders(secret: string, id: string, body: string, now = Date.now()): SignedHeaders {
	const ts = Math.floor(now / 1000);
	return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(secret, id, ts, body) };
}

/**
 * Every header a Syncscope webhook carries: content type, Idempotency-Key and webhook-id (the same
 * across retries of one message), webhook-timestamp, and webhook-signature when there is a secret.
 */
export function webhookHeaders(id: string, body: string, secret?: string, now = Date.now()): Record<string, string> {
	const base = { 'content-type': 'application/json', 'idempotency-key': id, 'user-agent': 'syncscope-webhooks/1' };
	if (secret) return { ...base, ...signedHeaders(secret, id, body, now) };
	return { ...base, 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now / 1000)) };
}

/** Verify as a receiver would: any v1 signature matches and the timestamp is within tolerance. */
export function verify(secret: string, headers: Record<string, string | undefined>, body: string, toleranceS = 300, now = Date.now()): boolean {
	const id = headers['webhook-id'];
	const ts = Number(headers['webhook-timestamp']);
	const sigs = headers['webhook-signature'];
	if (!id || !Number.isFinite(ts) || !sigs) return false;
	if (Math.abs(now / 1000 - ts) > toleranceS) return false;
	const expected = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64');
	return sigs.split(' ').some((s) => {
		const [v, mac] = s.split(',');
		if (v !== 'v1' || !mac) return false;
		const got = Buffer.from(mac, 'base64');
		return got.length === expected.length && timingSafeEqual(got, expected);
	});
}
