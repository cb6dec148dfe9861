import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { sendTestNotice } from '$lib/server/alerts/channels';
import { problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** POST: send a test notice to the channel now; answers with its delivery (kept in the history). */
export const POST: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'alerts:admin');
	try {
		return json(await sendTestNotice(params.id, user));
	} catch (e) {
		return problemResponse(e);
	}
};
