import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { currentAlerts, history } from '$lib/server/alerts/store';
import { config } from '$lib/server/config';
import { catalogue } from '$lib/server/flows/catalogue';
import type { PageServerLoad } from './$types';

const filters = z.object({
	flow: z.string().max(80).optional().catch(undefined),
	status: z.enum(['firing', 'resolved']).optional().catch(undefined)
});

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'alerts:read');
	const f = filters.parse(Object.fromEntries(url.searchParams));
	const [current, events] = await Promise.all([currentAlerts(), history({ ...f, limit: 300 })]);
	const c = config();
	return {
		filters: f,
		firing: current.filter((a) => a.status === 'firing'),
		events,
		flows: catalogue().flows.map((x) => ({ id: x.id, name: x.name })),
		setup: { intervalSeconds: c.alertIntervalSeconds, renotifyMinutes: c.alertRenotifyMinutes, webhooks: c.alertWebhooks.length }
	};
};
