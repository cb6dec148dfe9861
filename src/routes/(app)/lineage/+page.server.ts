import { redirect } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { lineageKey } from '$lib/server/lineage';
import { route } from '$lib/route';
import type { PageServerLoad } from './$types';

/** The search page; a submitted key goes to its shareable /lineage/<key> page. */
export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'lineage:read');
	const q = url.searchParams.get('q');
	if (q !== null) {
		const key = lineageKey.safeParse(q);
		if (key.success) redirect(303, route.lineageKey(key.data));
		return { q, problem: key.error.issues[0].message };
	}
	return { q: '', problem: '' };
};
