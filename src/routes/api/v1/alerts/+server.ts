import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { alertBoard } from '$lib/server/alerts/board';
import type { RequestHandler } from './$types';

/** GET every alert (flow × rule) with its settings, latest event, acknowledgement and silence. */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'alerts:read');
	return json({ items: await alertBoard() });
};
