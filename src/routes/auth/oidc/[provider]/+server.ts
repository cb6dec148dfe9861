import { error, redirect } from '@sveltejs/kit';
import { oidcProvider } from '$lib/server/auth/oidc/providers';
import { startSsoSignIn } from '$lib/server/auth/oidc/sign-in';
import { logger } from '$lib/server/log';
import { safeRedirect } from '$lib/server/request';
import { route } from '$lib/route';
import type { RequestHandler } from './$types';

/**
 * "Sign in with <provider>": remember the flow (state, nonce, PKCE verifier) in a sealed cookie and
 * send the browser to the provider. A GET: it changes nothing here but that cookie, and the callback
 * only accepts the flow this browser started.
 */
export const GET: RequestHandler = async ({ params, url, cookies }) => {
	const p = oidcProvider(params.provider);
	if (!p) error(404, 'No such sign-in provider');
	const redirectTo = safeRedirect(url.searchParams.get('redirectTo'), route.home());
	let target: string;
	try {
		target = await startSsoSignIn(p, cookies, url, redirectTo);
	} catch (err) {
		logger('sso').error('single sign-on: the provider could not be reached', { provider: p.id, err });
		redirect(303, route.loginNotice({ error: 'unavailable' }));
	}
	redirect(303, target);
};
