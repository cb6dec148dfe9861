import { authorize } from '$lib/server/auth/roles';
import { revokeApiToken } from '$lib/server/auth';
import { rethrowHttp } from '$lib/server/request';
import type { RequestHandler } from './$types';

/** Revoke an API token (admin); it stops working at once. */
export const DELETE: RequestHandler = async ({ locals, params }) => {
	authorize(locals, 'tokens:admin');
	try {
		await revokeApiToken(params.id);
		return new Response(null, { status: 204 });
	} catch (e) {
		rethrowHttp(e);
	}
};
