import { redirect } from '@sveltejs/kit';
import { can } from '$lib/server/auth/roles';
import { route } from '$lib/route';
import type { LayoutServerLoad } from './$types';

/** Every console page needs a signed-in user; the nav shows what the role may open. */
export const load: LayoutServerLoad = async ({ locals, url }) => {
	if (!locals.user) redirect(303, route.login(url.pathname + url.search));
	const { email, role } = locals.user;
	return { user: { email, role }, isAdmin: can(locals.user, 'users:admin') };
};
