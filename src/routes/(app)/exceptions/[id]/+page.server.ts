import { error, fail } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { exceptionDetail } from '$lib/server/exceptions/detail';
import { actionInput, performAction, permissionFor } from '$lib/server/exceptions/service';
import { problemOf } from '$lib/server/exceptions/http';
import { loadLineage } from '$lib/server/lineage';
import { logger } from '$lib/server/log';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	const user = authorize(locals, 'exceptions:read');
	const detail = await exceptionDetail(params.id, user);
	if (!detail) error(404, `There is no exception ${params.id}. It may have aged out of the retention window.`);
	return { detail, me: user.email, lineage: await lineageSummary(detail.exception.correlationId, detail.exception.flow) };
};

/** A compact lineage of the business key: traces, systems, and the flow's expected steps. */
async function lineageSummary(key: string, flow: string) {
	if (!key) return null;
	try {
		const l = await loadLineage(key);
		const path = l.paths.find((p) => p.flow === flow) ?? l.paths[0];
		return {
			traces: l.traces.length,
			spans: l.spans.length,
			systems: l.systems,
			steps: path ? path.steps.map((s) => ({ id: s.id, name: s.name, state: s.state, overdue: s.overdue })) : []
		};
	} catch (e) {
		// the detail page stays useful without it; the lineage page shows the full error
		logger('exceptions').warn('lineage summary failed', { err: e, key });
		return null;
	}
}

export const actions: Actions = {
	/** One action on this exception; the form says which. */
	act: async ({ locals, params, request }) => {
		authorize(locals, 'exceptions:read');
		const fd = await request.formData();
		const action = fd.get('action');
		// one form carries every action: the edited payload goes with a replay request, the reviewed hash with an approval
		const parsed = actionInput.safeParse({
			action,
			comment: fd.get('comment') ?? '',
			assignee: (action === 'assign' && fd.get('assignee')) || undefined,
			payload: (action === 'request_replay' && fd.get('payload')) || undefined,
			payloadBase: (action === 'request_replay' && fd.get('payload') && fd.get('payloadBase')) || undefined,
			payloadSha256: (action === 'approve_replay' && fd.get('payloadSha256')) || undefined
		});
		if (!parsed.success) return fail(400, { action: String(fd.get('action') ?? ''), error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
		const user = authorize(locals, permissionFor(parsed.data.action));
		try {
			const r = await performAction(params.id, parsed.data, user);
			return { action: r.action, ok: `${r.action.replaceAll('_', ' ')} done: now ${r.state.replaceAll('_', ' ')}` };
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { action: parsed.data.action, error: p.message });
		}
	}
};
