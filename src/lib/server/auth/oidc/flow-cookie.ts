/**
 * What a sign-in through a provider must remember between leaving for the provider and coming back:
 * the provider, `state`, `nonce`, the PKCE code verifier and where to go afterwards. It travels in a
 * short-lived HttpOnly cookie sealed with AES-256-GCM under a key derived from the installation's
 * secret key, so no process-local store is needed and the browser can neither read nor alter it.
 * The callback deletes it whatever the outcome: a flow is used once.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Cookies } from '@sveltejs/kit';
import { z } from 'zod';
import { derivedKey, secretKey } from '../../secret-key';
import { now } from '../clock';

export const FLOW_COOKIE = 'syncscope_oidc';
/** a sign-in at the provider must finish within this time */
export const FLOW_TTL_MS = 10 * 60_000;
const PATH = '/auth/oidc/';

const flowSchema = z.object({
	provider: z.string(),
	state: z.string(),
	nonce: z.string(),
	verifier: z.string(),
	redirectTo: z.string().optional(),
	at: z.number()
});
export type Flow = z.infer<typeof flowSchema>;

const key = () => derivedKey(secretKey(), 'oidc-flow-cookie');
const secure = (url: URL) => !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));

export function setFlowCookie(cookies: Cookies, url: URL, flow: Omit<Flow, 'at'>): void {
	const iv = randomBytes(12);
	const c = createCipheriv('aes-256-gcm', key(), iv);
	const ct = Buffer.concat([c.update(JSON.stringify({ ...flow, at: now() }), 'utf8'), c.final()]);
	const value = [iv, c.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
	// SameSite=Lax: the provider's redirect back is a top-level GET navigation, which carries it
	cookies.set(FLOW_COOKIE, value, { path: PATH, httpOnly: true, sameSite: 'lax', secure: secure(url), maxAge: FLOW_TTL_MS / 1000 });
}

/** The flow this browser started, if its cookie is genuine and fresh; the cookie is deleted. */
export function takeFlowCookie(cookies: Cookies, url: URL): Flow | null {
	const value = cookies.get(FLOW_COOKIE);
	cookies.delete(FLOW_COOKIE, { path: PATH, httpOnly: true, sameSite: 'lax', secure: secure(url) });
	if (!value) return null;
	try {
		const [iv, tag, ct] = value.split('.').map((p) => Buffer.from(p, 'base64url'));
		const d = createDecipheriv('aes-256-gcm', key(), iv);
		d.setAuthTag(tag);
		const flow = flowSchema.parse(JSON.parse(Buffer.concat([d.update(ct), d.final()]).toString('utf8')));
		return now() - flow.at <= FLOW_TTL_MS ? flow : null;
	} catch {
		return null;
	}
}
