import { authorize } from '$lib/server/auth/roles';
import type { LayoutServerLoad } from './$types';

/** Admin only; each page and action below checks again for its own permission. */
export const load: LayoutServerLoad = async ({ locals }) => {
	authorize(locals, 'users:admin');
	return {};
};
