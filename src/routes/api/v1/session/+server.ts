import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { deleteSessionCookie, invalidateSession, setSessionCookie, signIn } from '$lib/server/auth';
import { clientAddress, parseJson } from '$lib/server/request';
import type { RequestHandler } from './$types';

const body = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });

/** Sign in for scripts: sets the session cookie, returns who signed in. */
export const POST: RequestHandler = async (event) => {
	const { request, cookies, url } = event;
	const { email, password } = await parseJson(request, body);
	const r = await signIn(email, password, { ip: clientAddress(event), userAgent: request.headers.get('user-agent') ?? '' });
	if (!r.ok && r.reason === 'throttled') {
		const seconds = Math.ceil(r.retryAfterMs / 1000);
		return json({ message: `Too many failed attempts; retry in ${seconds} s` }, { status: 429, headers: { 'retry-after': String(seconds) } });
	}
	if (!r.ok) return json({ message: 'Email or password is not correct' }, { status: 401 });
	setSessionCookie(cookies, url, r.token, r.expiresAt);
	return json({ user: r.user, expiresAt: new Date(r.expiresAt).toISOString() });
};

/** Sign out: the session ends on the server. */
export const DELETE: RequestHandler = async ({ locals, cookies, url }) => {
	if (locals.user?.sessionId) await invalidateSession(locals.user.sessionId);
	deleteSessionCookie(cookies, url);
	return new Response(null, { status: 204 });
};
