import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { createChannel, listChannels } from '$lib/server/alerts/channels';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** GET the notification channels (URL hints only, never URLs or secrets). */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'alerts:admin');
	return json({ items: await listChannels() });
};

/** POST { name, kind, url, flows?, secret? } → 201 { channel, secret? } (a webhook channel's secret is shown this once). */
export const POST: RequestHandler = async ({ locals, request }) => {
	const user = authorize(locals, 'alerts:admin');
	try {
		return json(await createChannel(await jsonBody(request), user), { status: 201 });
	} catch (e) {
		return problemResponse(e);
	}
};
