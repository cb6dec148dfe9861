import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { createApiToken, listApiTokens, revokeApiToken, AuthError } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'tokens:admin');
	return { tokens: await listApiTokens(), roles: [...ROLES] };
};

const create = z.object({ name: z.string().trim().min(1, 'a name is required').max(100), role: z.enum(ROLES) });

export const actions: Actions = {
	/** the token is returned once, in this response; only its hash is kept */
	create: async ({ locals, request }) => {
		const me = authorize(locals, 'tokens:admin');
		const r = create.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { message: r.error.issues[0].message });
		try {
			const { token } = await createApiToken({ ...r.data, createdBy: me.id });
			return { token, name: r.data.name };
		} catch (e) {
			if (e instanceof AuthError) return fail(e.status, { message: e.message });
			throw e;
		}
	},
	revoke: async ({ locals, request }) => {
		authorize(locals, 'tokens:admin');
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await revokeApiToken(id);
		} catch (e) {
			if (e instanceof AuthError) return fail(e.status, { message: e.message });
			throw e;
		}
		return { message: 'Token revoked.' };
	}
};
