import { error } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { lineageKey, loadLineage } from '$lib/server/lineage';
import type { PageServerLoad } from './$types';

/**
 * One key's lineage. The query result is streamed (the page shows its loading state meanwhile);
 * the selected span lives in ?span= and is read by the page, so selecting does not re-query.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
	authorize(locals, 'lineage:read');
	const key = lineageKey.safeParse(params.key);
	if (!key.success) error(400, key.error.issues[0].message);
	const lineage = loadLineage(key.data).catch((e: Error) => {
		console.error(`lineage of ${key.data} failed`, e);
		error(503, 'The lineage query failed; the details are in the server log.');
	});
	return { key: key.data, lineage };
};
