import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { createUser, listUsers } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import { parseJson, rethrowHttp } from '$lib/server/request';
import type { RequestHandler } from './$types';

const body = z.object({ email: z.string().email().max(320), password: z.string().max(1024), role: z.enum(ROLES) });

export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'users:admin');
	return json({ users: await listUsers() });
};

/** Create a user (admin). */
export const POST: RequestHandler = async ({ locals, request }) => {
	authorize(locals, 'users:admin');
	const input = await parseJson(request, body);
	try {
		const user = await createUser(input);
		return json({ user }, { status: 201 });
	} catch (e) {
		rethrowHttp(e);
	}
};
