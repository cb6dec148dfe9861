/**
 * The acknowledge / silence / unsilence form actions of /alerts and /alerts/rules. Each page's
 * action authorizes first (so the role matrix sees the permission) and hands the user here.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { acknowledge, silence, unsilence } from '$lib/server/alerts/actions';
import type { SessionUser } from '$lib/server/auth/types';
import { problemOf } from '$lib/server/exceptions/http';

export async function alertAction(event: RequestEvent, user: SessionUser, what: 'acknowledge' | 'silence' | 'unsilence') {
	const fd = await event.request.formData();
	const flow = String(fd.get('flow') ?? '');
	const rule = String(fd.get('rule') ?? '');
	const comment = String(fd.get('comment') ?? '');
	try {
		if (what === 'acknowledge') await acknowledge(flow, rule, { comment }, user);
		else if (what === 'silence') await silence(flow, rule, { minutes: String(fd.get('minutes') ?? ''), comment }, user);
		else await unsilence(flow, rule, { comment }, user);
		return { form: what, alertKey: `${flow}/${rule}`, ok: true as const };
	} catch (e) {
		const p = problemOf(e);
		return fail(p.status, { form: what, alertKey: `${flow}/${rule}`, error: p.message });
	}
}
