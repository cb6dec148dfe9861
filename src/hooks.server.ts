/**
 * Every request: who is asking (session cookie, or `Authorization: Bearer` on /api), the CSRF rule
 * for requests that change state, the sign-in gate, and the response headers (no caching of what a
 * signed-in user sees; the page CSP comes from kit.csp in svelte.config.js). Pages and endpoints
 * still call authorize() for their permission; this is the outer wall, not the only one.
 */
import { json, redirect, type Handle, type HandleServerError } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import {
	SESSION_COOKIE,
	deleteSessionCookie,
	setSessionCookie,
	validateApiToken,
	validateSessionToken
} from '$lib/server/auth';
import { route } from '$lib/route';
import { THEME_COOKIE, themeOf } from '$lib/preferences';

/** Reachable without signing in. */
const PUBLIC = new Set(['/login', '/logout', '/api/v1/session', '/api/v1/openapi.json']);
/** single sign-on: leaving for the provider and coming back (auth/oidc/sign-in.ts) happen signed out */
const isPublic = (path: string) => PUBLIC.has(path) || /^\/auth\/oidc\/[a-z0-9-]+(\/callback)?$/.test(path);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const handle: Handle = async ({ event, resolve }) => {
	const { url, request, cookies } = event;
	const isApi = url.pathname.startsWith('/api/');
	event.locals.user = null;

	const authorization = request.headers.get('authorization');
	const bearer = isApi && authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : null;
	if (bearer !== null) {
		event.locals.user = await validateApiToken(bearer);
		if (!event.locals.user) return json({ message: 'Invalid or revoked API token' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
	} else {
		const token = cookies.get(SESSION_COOKIE);
		if (token) {
			const s = await validateSessionToken(token);
			if (s) {
				event.locals.user = s.user;
				if (s.refreshed) setSessionCookie(cookies, url, token, s.expiresAt);
			} else {
				deleteSessionCookie(cookies, url);
			}
		}
	}

	// SvelteKit's origin check covers form posts (form content types only); every other request that
	// changes state gets the same rule: JSON endpoints, and body-less posts such as a sign-out that a
	// page on a sibling origin of the same site (cookies are SameSite=Lax) could send with fetch or
	// sendBeacon. A missing Origin is refused when the request carries a session cookie (the ambient
	// credential CSRF abuses); scripts without cookies, or with a bearer token, are not affected.
	if (bearer === null && !SAFE_METHODS.has(request.method)) {
		const origin = request.headers.get('origin');
		if (origin ? origin !== url.origin : cookies.get(SESSION_COOKIE) !== undefined) {
			const message = `Cross-site ${request.method} refused: Origin does not match ${url.origin}`;
			return isApi ? json({ message }, { status: 403 }) : new Response(message, { status: 403, headers: { 'content-type': 'text/plain' } });
		}
	}

	if (!event.locals.user && !isPublic(url.pathname)) {
		if (isApi) {
			return json({ message: 'Sign in, or send Authorization: Bearer <API token>' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
		}
		redirect(303, route.login(SAFE_METHODS.has(request.method) ? url.pathname + url.search : undefined));
	}

	// the colour scheme is on <html> from the first byte (no flash of the wrong theme)
	const theme = themeOf(cookies.get(THEME_COOKIE));
	const response = await resolve(event, { transformPageChunk: ({ html }) => html.replace('%syncscope.theme%', theme) });
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('x-frame-options', 'DENY');
	// what a signed-in user sees (and a sign-in's answer) stays out of browser and proxy caches, so
	// Back after sign-out or a shared machine shows nothing (static assets are served before this hook)
	if (event.locals.user || response.headers.has('set-cookie')) response.headers.set('cache-control', 'no-store');
	// pages get their policy from kit.csp (nonces for SvelteKit's inline scripts); anything else
	// (JSON, CSV, plain text) is never a document that may run or embed anything
	if (!response.headers.has('content-security-policy') && !response.headers.get('content-type')?.startsWith('text/html')) {
		response.headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
	}
	return response;
};

/** Unexpected errors: the log gets the detail, the user a reference to quote. */
export const handleError: HandleServerError = ({ error, event, status, message }) => {
	if (status === 404) return { message };
	const ref = randomUUID().slice(0, 8);
	console.error(`[${ref}] ${event.request.method} ${event.url.pathname}:`, error);
	return { message: `Something went wrong (reference ${ref}).` };
};
