import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { parseWindow } from '$lib/server/reconciliation/http';
import { overview } from '$lib/server/reconciliation/results';
import type { RequestHandler } from './$types';

/** GET /api/v1/reconciliation?window=day|hour&start=<ISO>: every flow with rules, its figures summed. */
export const GET: RequestHandler = async ({ locals, url }) => {
	authorize(locals, 'reconciliation:read');
	return json(await overview(catalogue().flows, parseWindow(url.searchParams)));
};
