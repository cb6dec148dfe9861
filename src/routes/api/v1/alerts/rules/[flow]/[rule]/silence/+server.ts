import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { silence, unsilence } from '$lib/server/alerts/actions';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** POST { minutes, comment? }: silence the alert for that long (no notification until it ends). */
export const POST: RequestHandler = async ({ locals, params, request }) => {
	const user = authorize(locals, 'alerts:act');
	try {
		return json(await silence(params.flow, params.rule, await jsonBody(request), user), { status: 201 });
	} catch (e) {
		return problemResponse(e);
	}
};

/** DELETE: end the alert's silence now (409 when none is in force). */
export const DELETE: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'alerts:act');
	try {
		return json(await unsilence(params.flow, params.rule, {}, user));
	} catch (e) {
		return problemResponse(e);
	}
};
