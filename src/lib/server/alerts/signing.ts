/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/, same scheme as action webhooks
 * in docs/contracts.md): webhook-signature = "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}",
 * keyed with the base64-decoded part of a whsec_ secret. Written here because the actions module's
 * signer is not on main yet; the lead may point this at that one when both are merged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecret(): string {
	return `whsec_${randomBytes(24).toString('base64')}`;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Verify a webhook-signature header (space-separated list of v1,<sig>). */
export function verify(secret: string, id: string, timestamp: number, body: string, header: string): boolean {
	const expected = Buffer.from(sign(secret, id, timestamp, body));
	return header.split(' ').some((s) => {
		const got = Buffer.from(s);
		return got.length === expected.length && timingSafeEqual(got, expected);
	});
}

export function signedHeaders(secret: string | undefined, id: string, body: string, now = new Date()): Record<string, string> {
	const timestamp = Math.floor(now.getTime() / 1000);
	const h: Record<string, string> = {
		'content-type': 'application/json',
		'webhook-id': id,
		'webhook-timestamp': String(timestamp),
		'idempotency-key': id
	};
	if (secret) h['webhook-signature'] = sign(secret, id, timestamp, body);
	return h;
}
