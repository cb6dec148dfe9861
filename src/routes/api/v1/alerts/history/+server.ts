import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { alertActivity } from '$lib/server/alerts/board';
import { deliveries, history } from '$lib/server/alerts/store';
import type { RequestHandler } from './$types';

const query = z.object({
	flow: z.string().max(80).optional().catch(undefined),
	limit: z.coerce.number().int().min(1).max(1000).catch(200)
});

/** GET the alert history: events (with why a notification was held back), channel deliveries, and who acknowledged, silenced or edited what. */
export const GET: RequestHandler = async ({ locals, url }) => {
	authorize(locals, 'alerts:read');
	const q = query.parse(Object.fromEntries(url.searchParams));
	const [events, sent, activity] = await Promise.all([history({ flow: q.flow, limit: q.limit }), deliveries({ limit: q.limit }), alertActivity(q.limit)]);
	return json({ events, deliveries: sent, activity });
};
