import { error, fail } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { runbookHistory, runbooks, saveRunbook } from '$lib/server/runbooks/loader';
import { renderInstructions } from '$lib/server/runbooks/render';
import { problemOf } from '$lib/server/exceptions/http';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	authorize(locals, 'runbooks:edit');
	const current = (await runbooks()).find((r) => r.runbook.id === params.id);
	if (!current) error(404, `There is no runbook ${params.id}`);
	const history = await runbookHistory(params.id);
	return { id: params.id, yaml: current.yaml, version: current.version, preview: renderInstructions(current.runbook.instructions), history: history.map((h) => ({ version: h.Version, author: h.Author, at: h.At })) };
};

export const actions: Actions = {
	save: async ({ locals, params, request }) => {
		const user = authorize(locals, 'runbooks:edit');
		const yaml = String((await request.formData()).get('yaml') ?? '');
		try {
			const saved = await saveRunbook(yaml, user, params.id);
			return { saved: saved.version };
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { yaml, error: p.message, issues: p.issues ?? [] });
		}
	}
};
