import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { createApiToken, listApiTokens } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import { parseJson, rethrowHttp } from '$lib/server/request';
import type { RequestHandler } from './$types';

const body = z.object({ name: z.string().min(1).max(100), role: z.enum(ROLES) });

export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'tokens:admin');
	return json({ tokens: await listApiTokens() });
};

/**
 * Create an API token (admin). The token is in this response only; it is stored hashed. It acts for
 * the person creating it (a token made through a token acts for that token's creator), never with
 * more than their role.
 */
export const POST: RequestHandler = async ({ locals, request }) => {
	const me = authorize(locals, 'tokens:admin');
	const input = await parseJson(request, body);
	try {
		const { token, id } = await createApiToken({ ...input, createdBy: me.id });
		return json({ token, id }, { status: 201 });
	} catch (e) {
		rethrowHttp(e);
	}
};
