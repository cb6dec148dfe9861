import { error, json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { exceptionDetail } from '$lib/server/exceptions/detail';
import type { RequestHandler } from './$types';

/** GET /api/v1/exceptions/{id}: the exception, runbook, history, delivery log and what the caller may do. */
export const GET: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'exceptions:read');
	const d = await exceptionDetail(params.id, user);
	if (!d) error(404, `no exception ${params.id}`);
	return json(d);
};
