import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { updateChannel } from '$lib/server/alerts/channels';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** PATCH { name?, url?, flows?, enabled? } (a new URL passes the SSRF check again). */
export const PATCH: RequestHandler = async ({ locals, params, request }) => {
	const user = authorize(locals, 'alerts:admin');
	try {
		return json(await updateChannel(params.id, await jsonBody(request), user));
	} catch (e) {
		return problemResponse(e);
	}
};

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'alerts:admin');
	try {
		await updateChannel(params.id, {}, user, undefined, { deleted: true });
		return new Response(null, { status: 204 });
	} catch (e) {
		return problemResponse(e);
	}
};
