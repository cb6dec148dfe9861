import { z } from 'zod';
import { authorize, can } from '$lib/server/auth/roles';
import { alertActivity, alertBoard } from '$lib/server/alerts/board';
import { listChannels } from '$lib/server/alerts/channels';
import { deliveries, history } from '$lib/server/alerts/store';
import { config } from '$lib/server/config';
import { catalogue } from '$lib/server/flows/catalogue';
import { alertAction } from './actions.server';
import type { Actions, PageServerLoad } from './$types';

const filters = z.object({
	flow: z.string().max(80).optional().catch(undefined),
	status: z.enum(['firing', 'resolved']).optional().catch(undefined)
});

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = authorize(locals, 'alerts:read');
	const f = filters.parse(Object.fromEntries(url.searchParams));
	const now = new Date();
	const [board, events, sent, activity, channels] = await Promise.all([alertBoard(now), history({ ...f, limit: 100 }), deliveries({ limit: 50 }), alertActivity(50), listChannels()]);
	const c = config();
	return {
		asOf: now.toISOString(),
		filters: f,
		firing: board.filter((a) => a.firing),
		silenced: board.filter((a) => !a.firing && a.state.silenced),
		events,
		deliveries: sent,
		activity,
		flows: catalogue().flows.map((x) => ({ id: x.id, name: x.name })),
		canAct: can(user, 'alerts:act'),
		canAdmin: can(user, 'alerts:admin'),
		setup: { intervalSeconds: c.alertIntervalSeconds, renotifyMinutes: c.alertRenotifyMinutes, channels: channels.filter((x) => x.enabled).length + c.alertWebhooks.length }
	};
};

export const actions: Actions = {
	acknowledge: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'acknowledge'),
	silence: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'silence'),
	unsilence: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'unsilence')
};
