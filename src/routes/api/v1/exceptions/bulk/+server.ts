import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { dryRun, startBulk } from '$lib/server/exceptions/bulk';
import { actionInput, permissionFor } from '$lib/server/exceptions/service';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

const body = actionInput.extend({ ids: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1).max(1000), dryRun: z.boolean().default(true) });

/** POST { ids, action, comment, dryRun } → the dry run, or (dryRun: false) { job, plan } to poll. */
export const POST: RequestHandler = async ({ locals, request }) => {
	authorize(locals, 'exceptions:read');
	try {
		const b = body.parse(await jsonBody(request));
		const user = authorize(locals, permissionFor(b.action));
		if (b.dryRun) return json(await dryRun(b.ids, b.action, user));
		return json(await startBulk(b.ids, b, user), { status: 202 });
	} catch (e) {
		if (e && typeof e === 'object' && 'status' in e && 'body' in e) throw e;
		return problemResponse(e);
	}
};
