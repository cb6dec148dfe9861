import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { adminAllowlist, setAllowed } from '$lib/server/actions/endpoints';
import { config } from '$lib/server/config';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/** GET the allow-list (admin entries and those from SYNCSCOPE_ACTION_ALLOWLIST). */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'endpoints:admin');
	return json({ admin: await adminAllowlist(), environment: config().actionAllowlist });
};

/** POST { hostPort, allowed } adds or removes an admin entry. */
export const POST: RequestHandler = async ({ locals, request }) => {
	const user = authorize(locals, 'endpoints:admin');
	try {
		const b = z.object({ hostPort: z.string(), allowed: z.boolean().default(true) }).parse(await jsonBody(request));
		await setAllowed(b.hostPort, b.allowed, user);
		return json({ admin: await adminAllowlist() });
	} catch (e) {
		return problemResponse(e);
	}
};
