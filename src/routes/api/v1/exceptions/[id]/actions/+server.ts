import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { actionInput, performAction, permissionFor } from '$lib/server/exceptions/service';
import { jsonBody, problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/**
 * POST /api/v1/exceptions/{id}/actions { action, comment, assignee? } → { id, action, state };
 * 403 (role, runbook, own request) or 409 (invalid transition, void approval) with { error }.
 * A delivery the action starts runs after the answer; GET the exception for its outcome.
 */
export const POST: RequestHandler = async ({ locals, params, request }) => {
	authorize(locals, 'exceptions:read');
	try {
		const input = actionInput.parse(await jsonBody(request));
		const user = authorize(locals, permissionFor(input.action));
		const r = await performAction(params.id, input, user);
		return json({ id: r.id, action: r.action, state: r.state });
	} catch (e) {
		if (e && typeof e === 'object' && 'status' in e && 'body' in e) throw e; // authorize()'s 401/403
		return problemResponse(e);
	}
};
