/** The whole dead-letter payload of an exception, as a download (the page shows the first 64 KiB). */
import { error } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { latestPayload } from '$lib/server/exceptions/queries';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals, params }) => {
	authorize(locals, 'exceptions:read');
	if (!/^[0-9a-f]{32}$/.test(params.id)) error(404, 'No such exception');
	const p = await latestPayload(params.id);
	if (!p) error(404, 'This exception has no dead-letter payload');
	return new Response(p.payload, {
		headers: {
			'content-type': 'text/plain; charset=utf-8',
			'content-disposition': `attachment; filename="dead-letter-${params.id}.txt"`,
			'x-content-type-options': 'nosniff'
		}
	});
};
