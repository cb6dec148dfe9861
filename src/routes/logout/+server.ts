import { redirect } from '@sveltejs/kit';
import { deleteSessionCookie, invalidateSession } from '$lib/server/auth';
import { route } from '$lib/route';
import type { RequestHandler } from './$types';

/** Sign out: end the session on the server (not just the cookie), then back to the sign-in page. */
export const POST: RequestHandler = async ({ locals, cookies, url }) => {
	if (locals.user?.sessionId) await invalidateSession(locals.user.sessionId);
	deleteSessionCookie(cookies, url);
	redirect(303, route.login());
};
