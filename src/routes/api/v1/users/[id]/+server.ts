import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { updateUser } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import { parseJson, rethrowHttp } from '$lib/server/request';
import type { RequestHandler } from './$types';

const body = z
	.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: z.string().max(1024).optional() })
	.refine((b) => Object.keys(b).length > 0, 'nothing to change');

/** Change a user's role, disable/enable them or reset the password (admin); ends their sessions. */
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
