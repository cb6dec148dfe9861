import { fail } from '@sveltejs/kit';
import { authorize, can } from '$lib/server/auth/roles';
import { alertBoard } from '$lib/server/alerts/board';
import { listChannels } from '$lib/server/alerts/channels';
import { saveRuleSetting, THRESHOLD_BOUNDS } from '$lib/server/alerts/settings';
import { problemOf } from '$lib/server/exceptions/http';
import { alertAction } from '../actions.server';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = authorize(locals, 'alerts:read');
	const now = new Date();
	const flow = url.searchParams.get('flow') ?? '';
	const [board, channels] = await Promise.all([alertBoard(now), listChannels()]);
	return {
		asOf: now.toISOString(),
		flow,
		alerts: board.filter((a) => !flow || a.flow === flow).sort((a, b) => a.flowName.localeCompare(b.flowName) || a.rule.localeCompare(b.rule)),
		flows: [...new Map(board.map((a) => [a.flow, a.flowName])).entries()].map(([id, name]) => ({ id, name })),
		channels: channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind, flows: c.flows, enabled: c.enabled })),
		bounds: THRESHOLD_BOUNDS,
		canAct: can(user, 'alerts:act'),
		canAdmin: can(user, 'alerts:admin')
	};
};

export const actions: Actions = {
	save: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const fd = await request.formData();
		const flow = String(fd.get('flow') ?? '');
		const rule = String(fd.get('rule') ?? '');
		const t = String(fd.get('threshold') ?? '').trim();
		// a text that is not a number goes to validation as it is, so the message says so
		const input = { enabled: fd.get('enabled') === 'on', threshold: t === '' ? null : Number.isFinite(Number(t)) ? Number(t) : t, channels: fd.getAll('channels').map(String) };
		try {
			await saveRuleSetting(flow, rule, input, await listChannels(), user);
			return { form: 'save', alertKey: `${flow}/${rule}`, ok: true as const };
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { form: 'save', alertKey: `${flow}/${rule}`, error: p.message, issues: p.issues ?? [p.message], values: { threshold: t } });
		}
	},
	acknowledge: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'acknowledge'),
	silence: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'silence'),
	unsilence: async (event) => alertAction(event, authorize(event.locals, 'alerts:act'), 'unsilence')
};
