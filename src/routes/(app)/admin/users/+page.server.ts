import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { createUser, deleteUser, listUsers, updateUser, AuthError } from '$lib/server/auth';
import { ROLES } from '$lib/server/auth/types';
import { oidcProviders } from '$lib/server/auth/oidc/providers';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	const me = authorize(locals, 'users:admin');
	const labels = Object.fromEntries(oidcProviders().map((p) => [p.id, p.label]));
	const users = (await listUsers()).map((u) => ({ ...u, sso: u.sso && { ...u.sso, label: labels[u.sso.provider] ?? u.sso.provider } }));
	return { users, me: me.id, roles: [...ROLES] };
};

const create = z.object({ email: z.string().trim().email('enter a valid email'), password: z.string().min(12, 'at least 12 characters').max(1024), role: z.enum(ROLES) });
const change = z.object({ id: z.string().min(1), role: z.enum(ROLES).optional(), disabled: z.enum(['true', 'false']).optional() });

async function attempt<T>(fn: () => Promise<T>) {
	try {
		return await fn();
	} catch (e) {
		if (e instanceof AuthError) return fail(e.status, { message: e.message });
		throw e;
	}
}

export const actions: Actions = {
	create: async ({ locals, request }) => {
		authorize(locals, 'users:admin');
		const r = create.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { message: r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ') });
		return attempt(async () => {
			const u = await createUser(r.data);
			return { message: `Created ${u.email} (${u.role}).` };
		});
	},
	/** role change or disable/enable: each ends the user's sessions */
	update: async ({ locals, request }) => {
		const me = authorize(locals, 'users:admin');
		const r = change.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { message: 'Invalid change' });
		const disabled = r.data.disabled === undefined ? undefined : r.data.disabled === 'true';
		if (r.data.id === me.id && (disabled || (r.data.role && r.data.role !== 'admin'))) {
			return fail(400, { message: 'You cannot disable yourself or drop your own admin role.' });
		}
		return attempt(async () => {
			const u = await updateUser(r.data.id, { role: r.data.role, disabled });
			return { message: `Updated ${u.email}: ${u.role}${u.disabled ? ', disabled' : ''}. Their sessions have ended.` };
		});
	},
	/** delete: sessions end, API tokens stop working; the last enabled admin cannot be deleted */
	delete: async ({ locals, request }) => {
		const me = authorize(locals, 'users:admin');
		const id = String((await request.formData()).get('id') ?? '');
		if (!id) return fail(400, { message: 'Invalid change' });
		if (id === me.id) return fail(400, { message: 'You cannot delete yourself.' });
		return attempt(async () => {
			await deleteUser(id);
			return { message: 'User deleted. Their sessions have ended and their API tokens no longer work.' };
		});
	}
};
