import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { AuthError, listUsers } from '$lib/server/auth';
import { LOCAL_SIGN_IN, localSignIn, setLocalSignIn } from '$lib/server/auth/local-sign-in';
import { oidcProviders, redirectUri } from '$lib/server/auth/oidc/providers';
import { authorize } from '$lib/server/auth/roles';
import { ROLES } from '$lib/server/auth/types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'users:admin');
	const [local, users] = await Promise.all([localSignIn(), listUsers()]);
	return {
		local,
		providers: oidcProviders().map((p) => ({
			id: p.id,
			label: p.label,
			issuer: p.issuer,
			clientId: p.clientId,
			redirectUri: redirectUri(url.origin, p),
			scopes: p.scopes.join(' '),
			groupsClaim: p.groupsClaim,
			emailClaim: p.emailClaim,
			mapping: [...ROLES].reverse().map((role) => ({ role, values: p.roleMapping[role] })),
			endSession: p.endSession,
			users: users.filter((u) => u.sso?.provider === p.id).length
		})),
		breakGlassAdmins: users.filter((u) => !u.sso && u.role === 'admin' && !u.disabled).map((u) => u.email),
		localUsers: users.filter((u) => !u.sso && !u.disabled).length
	};
};

const setting = z.object({ local: z.enum(LOCAL_SIGN_IN, { message: 'choose who may sign in with a password' }) });

export const actions: Actions = {
	local: async ({ locals, request }) => {
		const me = authorize(locals, 'users:admin');
		const r = setting.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { error: true, message: r.error.issues[0].message });
		try {
			const { endedFor } = await setLocalSignIn(r.data.local, me);
			return {
				message:
					r.data.local === 'everyone'
						? 'Every local account may sign in with its password again.'
						: `Local passwords now work for break-glass admins only.${endedFor ? ` ${endedFor} other local account${endedFor === 1 ? ' was' : 's were'} signed out.` : ''}`
			};
		} catch (e) {
			if (e instanceof AuthError) return fail(e.status, { error: true, message: e.message });
			throw e;
		}
	}
};
