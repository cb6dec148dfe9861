import { error, redirect } from '@sveltejs/kit';
import { setSessionCookie } from '$lib/server/auth';
import { oidcProvider } from '$lib/server/auth/oidc/providers';
import { finishSsoSignIn } from '$lib/server/auth/oidc/sign-in';
import { clientAddress, safeRedirect } from '$lib/server/request';
import { route } from '$lib/route';
import type { RequestHandler } from './$types';

/** The provider sends the browser back here (the redirect URI to register): check, sign in, go on. */
export const GET: RequestHandler = async (event) => {
	const { params, url, cookies, request } = event;
	const p = oidcProvider(params.provider);
	if (!p) error(404, 'No such sign-in provider');
	const r = await finishSsoSignIn(p, cookies, url, { ip: clientAddress(event), userAgent: request.headers.get('user-agent') ?? '' });
	if (!r.ok) redirect(303, route.loginNotice({ error: r.reason }));
	setSessionCookie(cookies, url, r.token, r.expiresAt);
	redirect(303, safeRedirect(r.redirectTo, route.home()));
};
