import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { listChannels } from '$lib/server/alerts/channels';
import { saveRuleSetting } from '$lib/server/alerts/settings';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** PUT { enabled, threshold?, channels? }: an admin's setting of one flow's rule; 400 lists every problem. */
export const PUT: RequestHandler = async ({ locals, params, request }) => {
	const user = authorize(locals, 'alerts:admin');
	try {
		return json(await saveRuleSetting(params.flow, params.rule, await jsonBody(request), await listChannels(), user));
	} catch (e) {
		return problemResponse(e);
	}
};
