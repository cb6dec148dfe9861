import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { deleteUser, updateUser } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import { parseJson, rethrowHttp } from '$lib/server/request';
import type { RequestHandler } from './$types';

const body = z
	.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: z.string().max(1024).optional() })
	.refine((b) => Object.keys(b).length > 0, 'nothing to change');

/**
 * Change a user's role, disable/enable them or reset the password (admin); ends their sessions.
 * `me` is a person also through an API token (the token's creator), so nobody locks themselves out
 * with their own token; the last enabled admin is kept by updateUser on every path.
 */
export const PATCH: RequestHandler = async ({ locals, request, params }) => {
	const me = authorize(locals, 'users:admin');
	const change = await parseJson(request, body);
	if (params.id === me.id && (change.disabled || (change.role && change.role !== 'admin'))) {
		return json({ message: 'You cannot disable yourself or drop your own admin role' }, { status: 400 });
	}
	try {
		return json({ user: await updateUser(params.id, change) });
	} catch (e) {
		rethrowHttp(e);
	}
};

/** Delete a user (admin): they cannot sign in, their sessions end and their API tokens stop working. */
export const DELETE: RequestHandler = async ({ locals, params }) => {
	const me = authorize(locals, 'users:admin');
	if (params.id === me.id) return json({ message: 'You cannot delete yourself' }, { status: 400 });
	try {
		await deleteUser(params.id);
		return new Response(null, { status: 204 });
	} catch (e) {
		rethrowHttp(e);
	}
};
