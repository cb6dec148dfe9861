import { error, json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { bulkJob } from '$lib/server/exceptions/bulk';
import type { RequestHandler } from './$types';

/** GET a bulk job's progress (only the user who started it). */
export const GET: RequestHandler = async ({ locals, params }) => {
	const user = authorize(locals, 'exceptions:act');
	const job = bulkJob(params.job, user);
	if (!job) error(404, 'no such bulk job (jobs are kept for an hour, in the process that ran them)');
	return json(job);
};
