import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { flowOr404, parseWindow } from '$lib/server/reconciliation/http';
import { flowResult } from '$lib/server/reconciliation/results';
import type { RequestHandler } from './$types';

/** GET /api/v1/reconciliation/{flow}?window=day|hour&start=<ISO>: results of every rule of the flow. */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	authorize(locals, 'reconciliation:read');
	const flow = flowOr404(params.flow);
	return json(await flowResult(flow, parseWindow(url.searchParams)));
};
