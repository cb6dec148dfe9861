/**
 * Sign-in through an OpenID Connect provider: the authorization code flow with PKCE (S256), `state`
 * and `nonce` (OpenID Connect Core 1.0 §3.1; RFC 7636; RFC 9700 §2.1), run by openid-client, which
 * also checks the `iss` response parameter (RFC 9207) and the id_token (issuer, audience, expiry,
 * nonce, and its signature against the provider's JWKS: providers.ts).
 *
 * Then the account: found by (provider, subject), created just in time on the first sign-in, its
 * role re-read from the verified claims every time. A user whose claims map to no role is refused and
 * every session they still hold ends. Role changes go through users.ts, so the last-admin rule, the
 * sessions ending and the API tokens above the new role being revoked all hold as for a local user.
 */
import * as client from 'openid-client';
import { appendAudit } from '../../audit/log';
import { logger } from '../../log';
import { AuthError } from '../errors';
import { createSession, invalidateUserSessions, type SessionMeta } from '../session';
import { recordAttempt } from '../throttle';
import type { Role } from '../types';
import { createSsoUser, findSsoUser, updateUser, type SsoIdentity, type User } from '../users';
import { takeFlowCookie, setFlowCookie } from './flow-cookie';
import { clientConfig, redirectUri, type OidcProviderConfig } from './providers';
import { claimValues, mapRole } from './role-mapping';
import type { Cookies } from '@sveltejs/kit';

/** Why a sign-in through a provider did not happen; the sign-in page words each one. */
export type SsoRefusal =
	/** state, nonce, code, signature or expiry did not check out, or the provider answered with an error */
	| 'failed'
	/** the provider could not be reached (discovery, token endpoint) */
	| 'unavailable'
	| 'no_role'
	| 'disabled'
	| 'no_email'
	| 'email_taken'
	| 'last_admin';

export type SsoResult =
	| { ok: true; token: string; expiresAt: number; redirectTo?: string; user: User }
	| { ok: false; reason: SsoRefusal };

/** Leave for the provider: remember the flow in a sealed cookie and return the authorization URL. */
export async function startSsoSignIn(p: OidcProviderConfig, cookies: Cookies, url: URL, redirectTo?: string): Promise<string> {
	const cfg = await clientConfig(p);
	const verifier = client.randomPKCECodeVerifier();
	const state = client.randomState();
	const nonce = client.randomNonce();
	setFlowCookie(cookies, url, { provider: p.id, state, nonce, verifier, redirectTo });
	return client.buildAuthorizationUrl(cfg, {
		redirect_uri: redirectUri(url.origin, p),
		scope: p.scopes.join(' '),
		code_challenge: await client.calculatePKCECodeChallenge(verifier),
		code_challenge_method: 'S256',
		state,
		nonce
	}).href;
}

/** Back from the provider at the callback URL: check everything, then sign the account in. */
export async function finishSsoSignIn(p: OidcProviderConfig, cookies: Cookies, url: URL, meta: SessionMeta & { ip: string }): Promise<SsoResult> {
	const log = logger('sso');
	const flow = takeFlowCookie(cookies, url);
	// no flow from this browser, another provider's, or a state that is not the one we sent: a forged
	// or replayed response (or a sign-in started in another tab): refused before any code is spent
	if (!flow || flow.provider !== p.id || url.searchParams.get('state') !== flow.state) {
		log.warn('single sign-on refused: state does not match a sign-in this browser started', { provider: p.id });
		await recordAttempt({ email: '', ip: meta.ip, reason: 'sso_refused', userAgent: meta.userAgent });
		return { ok: false, reason: 'failed' };
	}
	let claims: client.IDToken;
	try {
		const cfg = await clientConfig(p);
		const tokens = await client.authorizationCodeGrant(cfg, url, {
			pkceCodeVerifier: flow.verifier,
			expectedState: flow.state,
			expectedNonce: flow.nonce,
			idTokenExpected: true
		});
		claims = tokens.claims()!;
	} catch (e) {
		// the network (fetch failed, timed out) is "unavailable"; everything else is a response that did
		// not check out: an error from the provider, a spent code, a wrong nonce, signature or expiry
		const unavailable = (e instanceof TypeError && e.message === 'fetch failed') || (e instanceof Error && ['TimeoutError', 'AbortError'].includes(e.name));
		log.warn('single sign-on refused', { provider: p.id, reason: unavailable ? 'provider unavailable' : 'the response did not check out', err: e });
		await recordAttempt({ email: '', ip: meta.ip, reason: 'sso_refused', userAgent: meta.userAgent });
		return { ok: false, reason: unavailable ? 'unavailable' : 'failed' };
	}
	const r = await signInAccount(p, claims as unknown as Record<string, unknown>, meta);
	return r.ok ? { ...r, redirectTo: flow.redirectTo } : r;
}

/** The account for verified claims: created, re-roled, refused; a session when allowed. */
async function signInAccount(p: OidcProviderConfig, claims: Record<string, unknown>, meta: SessionMeta & { ip: string }): Promise<SsoResult> {
	const sso: SsoIdentity = { provider: p.id, subject: String(claims.sub) };
	const values = claimValues(claims, p.groupsClaim);
	const role = mapRole(p.roleMapping, values);
	const email = claimValues(claims, p.emailClaim)[0]?.trim().toLowerCase() ?? '';
	let user = await findSsoUser(sso);
	const who = user?.email ?? email;
	const refuse = async (reason: SsoRefusal, audit?: Record<string, unknown>) => {
		await recordAttempt({ email: who, ip: meta.ip, reason: 'sso_refused', userAgent: meta.userAgent });
		if (audit) await audited(user ? user.email : who, user?.role ?? '', 'sso_sign_in', user?.id ?? `${sso.provider}:${sso.subject}`, `refused: ${reason}`, { sso, ...audit });
		return { ok: false as const, reason };
	};

	if (!role) {
		// the provider no longer puts them in a mapped group: nothing they hold here stays open
		const ended = user ? await invalidateUserSessions(user.id) : 0;
		return refuse('no_role', { groups: values.slice(0, 50), sessionsEnded: ended });
	}
	if (!user) {
		// an unverified address could claim someone else's account name: only a verified (or
		// provider-asserted, where the provider sends no email_verified) email makes an account
		if (!email || !email.includes('@') || claims.email_verified === false) return refuse('no_email', { groups: values.slice(0, 50) });
		try {
			user = await createSsoUser({ email, role, sso });
		} catch (e) {
			if (e instanceof AuthError && e.status === 409) return refuse('email_taken', { email });
			throw e;
		}
		await audited(user.email, role, 'sso_account_created', user.id, 'ok', { sso, groups: values.slice(0, 50) });
	} else if (user.disabled) {
		return refuse('disabled');
	} else if (user.role !== role) {
		const from = user.role;
		try {
			user = await updateUser(user.id, { role });
		} catch (e) {
			if (e instanceof AuthError && e.status === 409) return refuse('last_admin', { from, to: role });
			throw e;
		}
		await audited(user.email, role, 'sso_role_changed', user.id, 'ok', { sso, from, to: role, groups: values.slice(0, 50) });
	}
	await recordAttempt({ email: user.email, ip: meta.ip, reason: 'sso', userAgent: meta.userAgent });
	const s = await createSession(user.id, meta);
	return { ok: true, token: s.token, expiresAt: s.expiresAt, user };
}

function audited(actor: string, role: Role | '', action: string, subjectId: string, result: string, data: Record<string, unknown>) {
	return appendAudit(async () => ({ actor, role, action, subjectType: 'user', subjectId, result, data }));
}
