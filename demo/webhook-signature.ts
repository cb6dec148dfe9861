/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/, "Verifying webhook signatures"):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
 * base64-decoded part of a `whsec_…` secret; several space-separated signatures may be sent
 * (secret rotation); timestamps outside a tolerance are refused to stop replays of captured requests.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOLERANCE_SECONDS = 5 * 60;

export function generateSecret(): string {
	return `whsec_${randomBytes(24).toString('base64')}`;
}

function key(secret: string): Buffer {
	return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function digest(secret: string, id: string, timestamp: string, body: string): Buffer {
	return createHmac('sha256', key(secret)).update(`${id}.${timestamp}.${body}`).digest();
}

/** The `webhook-signature` header value for a message. */
export function sign(secret: string, id: string, timestamp: number | string, body: string): string {
	return `v1,${digest(secret, id, String(timestamp), body).toString('base64')}`;
}

export type Verification = { ok: true } | { ok: false; reason: 'missing headers' | 'stale timestamp' | 'bad signature' };

/** Check a delivery's headers against its raw body. `now` in milliseconds. */
export function verify(
	secret: string,
	h: { id?: string; timestamp?: string; signature?: string },
	body: string,
	now = Date.now()
): Verification {
	if (!h.id || !h.timestamp || !h.signature) return { ok: false, reason: 'missing headers' };
	if (!/^\d{1,12}$/.test(h.timestamp)) return { ok: false, reason: 'stale timestamp' };
	if (Math.abs(now / 1000 - Number(h.timestamp)) > TOLERANCE_SECONDS) return { ok: false, reason: 'stale timestamp' };
	const expected = digest(secret, h.id, h.timestamp, body);
	for (const part of h.signature.split(' ')) {
		const [version, sig] = part.split(',', 2);
		if (version !== 'v1' || !sig) continue;
		const given = Buffer.from(sig, 'base64');
		if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
	}
	return { ok: false, reason: 'bad signature' };
}
