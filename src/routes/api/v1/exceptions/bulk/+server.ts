import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { dryRun, idsMatching, startBulk } from '$lib/server/exceptions/bulk';
import { parseListQuery, sqlFilters } from '$lib/server/exceptions/list';
import { actionInput, permissionFor } from '$lib/server/exceptions/service';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

const body = actionInput
	.extend({
		ids: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1).max(1000).optional(),
		/** instead of ids: every exception matching these queue filters (as GET /api/v1/exceptions takes them) */
		filter: z.record(z.string(), z.string().max(400)).optional(),
		dryRun: z.boolean().default(true)
	})
	.refine((b) => (b.ids ? 1 : 0) + (b.filter ? 1 : 0) === 1, { message: 'give either ids or filter' });

/**
 * POST { ids | filter, action, comment, dryRun } → the dry run, or (dryRun: false) { job, plan } to
 * poll. A filter takes everything that matches it when the request arrives (at most BULK_FILTER_CAP).
 */
export const POST: RequestHandler = async ({ locals, request }) => {
	authorize(locals, 'exceptions:read');
	try {
		const b = body.parse(await jsonBody(request));
		const user = authorize(locals, permissionFor(b.action));
		const ids = b.ids ?? (await idsMatching(sqlFilters(parseListQuery(new URLSearchParams(b.filter)), user)));
		if (b.dryRun) return json(await dryRun(ids, b.action, user));
		return json(await startBulk(ids, b, user), { status: 202 });
	} catch (e) {
		if (e && typeof e === 'object' && 'status' in e && 'body' in e) throw e;
		return problemResponse(e);
	}
};
