import { redirect } from '@sveltejs/kit';
import { route } from '$lib/route';
import type { PageServerLoad } from './$types';

/** The console opens on lineage (the hooks send signed-out visitors to /login first). */
export const load: PageServerLoad = async () => {
	redirect(307, route.lineage());
};
