import { error } from '@sveltejs/kit';
import { authorize, can } from '$lib/server/auth/roles';
import { failuresForKey } from '$lib/server/exceptions/for-key';
import { lineageKey, loadLineage } from '$lib/server/lineage';
import type { PageServerLoad } from './$types';

/**
 * One key's lineage. The query result is streamed (the page shows its loading state meanwhile);
 * the selected span lives in ?span= and is read by the page, so selecting does not re-query.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
	const user = authorize(locals, 'lineage:read');
	const key = lineageKey.safeParse(params.key);
	if (!key.success) error(400, key.error.issues[0].message);
	const lineage = loadLineage(key.data).catch((e: Error) => {
		console.error(`lineage of ${key.data} failed`, e);
		error(503, 'The lineage query failed; the details are in the server log.');
	});
	// the key's exceptions (state, runbook, next actions) and what people did: streamed beside the lineage
	const support = can(user, 'exceptions:read')
		? failuresForKey(key.data, user).catch((e: Error) => {
				console.error(`exceptions of ${key.data} failed`, e);
				return null;
			})
		: Promise.resolve(null);
	return { key: key.data, lineage, support };
};
