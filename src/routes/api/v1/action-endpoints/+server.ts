import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { createEndpoint, listEndpoints } from '$lib/server/actions/endpoints';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** GET the configured endpoints (never their secrets). */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'endpoints:admin');
	return json({ items: await listEndpoints() });
};

/** POST { name, url, secret?, flows? } → { id, secret } (the secret is shown this once). */
export const POST: RequestHandler = async ({ locals, request }) => {
	const user = authorize(locals, 'endpoints:admin');
	try {
		return json(await createEndpoint((await jsonBody(request)) as never, user), { status: 201 });
	} catch (e) {
		return problemResponse(e);
	}
};
