import { error, json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { getEndpoint, updateEndpoint } from '$lib/server/actions/endpoints';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

const patch = z.object({ name: z.string().trim().min(1).max(100).optional(), url: z.string().url().optional(), flows: z.array(z.string().min(1)).optional(), enabled: z.boolean().optional() }).strict();

/** PATCH { name?, url?, flows?, enabled? } (a new URL passes the SSRF check again). */
export const PATCH: RequestHandler = async ({ locals, params, request }) => {
	const user = authorize(locals, 'endpoints:admin');
	if (!(await getEndpoint(params.id))) error(404, `no endpoint ${params.id}`);
	try {
		return json(await updateEndpoint(params.id, patch.parse(await jsonBody(request)), user));
	} catch (e) {
		return problemResponse(e);
	}
};

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'endpoints:admin');
	if (!(await getEndpoint(params.id))) error(404, `no endpoint ${params.id}`);
	await updateEndpoint(params.id, { deleted: true }, user);
	return new Response(null, { status: 204 });
};
