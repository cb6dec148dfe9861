import { error, json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { reinterpretStatus } from '$lib/server/interpret/reinterpret';
import type { RequestHandler } from './$types';

/** GET a re-interpret job's progress: state, done / total spans and log records, message. */
export const GET: RequestHandler = async ({ locals, params }) => {
	authorize(locals, 'interpretation:edit');
	const status = await reinterpretStatus(params.job);
	if (!status) error(404, 'no such re-interpret job');
	return json({ jobId: params.job, ...status });
};
