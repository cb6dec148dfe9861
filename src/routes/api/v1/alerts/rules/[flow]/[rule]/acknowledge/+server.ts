import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { acknowledge } from '$lib/server/alerts/actions';
import { ActionError } from '$lib/server/exceptions/errors';
import { problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** POST { comment? }: acknowledge the alert's current firing episode (409 when it is not firing). */
export const POST: RequestHandler = async ({ locals, params, request }) => {
	const user = authorize(locals, 'alerts:act');
	try {
		return json(await acknowledge(params.flow, params.rule, await optionalJson(request), user), { status: 201 });
	} catch (e) {
		return problemResponse(e);
	}
};

async function optionalJson(request: Request): Promise<unknown> {
	// the comment is optional, so an empty body is an acknowledgement without one
	const text = await request.text();
	if (!text.trim()) return {};
	try {
		return JSON.parse(text);
	} catch {
		throw new ActionError(400, 'the body must be JSON');
	}
}
