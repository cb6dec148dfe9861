import { redirect } from '@sveltejs/kit';
import { deleteSessionCookie, invalidateSession } from '$lib/server/auth';
import { oidcProvider } from '$lib/server/auth/oidc/providers';
import { route } from '$lib/route';
import type { RequestHandler } from './$types';

/**
 * Sign out: end the session on the server (not just the cookie), then back to the sign-in page.
 * POST only (a GET is 405, so a link or an image cannot sign anyone out), and like every request
 * that changes state it must come from this origin (the Origin rule in hooks.server.ts): the
 * layout's sign-out is a plain same-origin form.
 */
export const POST: RequestHandler = async ({ locals, cookies, url }) => {
	if (locals.user?.sessionId) await invalidateSession(locals.user.sessionId);
	deleteSessionCookie(cookies, url);
	// signed in through a provider: the sign-in page offers its end-session too (auth/oidc/providers.ts)
	const sso = locals.user?.sso && oidcProvider(locals.user.sso.provider);
	redirect(303, sso && sso.endSession ? route.loginNotice({ signedOut: sso.id }) : route.login());
};
