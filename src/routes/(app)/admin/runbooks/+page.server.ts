import { fail, redirect } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { runbooks, saveRunbook } from '$lib/server/runbooks/loader';
import { problemOf } from '$lib/server/exceptions/http';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'runbooks:edit');
	const list = await runbooks();
	return {
		runbooks: list.map((l) => ({ id: l.runbook.id, title: l.runbook.title, match: l.runbook.match, team: l.runbook.owner.team, version: l.version, source: l.source }))
	};
};

export const actions: Actions = {
	/** A new runbook from YAML; errors name the path and problem. */
	create: async ({ locals, request }) => {
		const user = authorize(locals, 'runbooks:edit');
		const yaml = String((await request.formData()).get('yaml') ?? '');
		let id: string;
		try {
			const saved = await saveRunbook(yaml, user);
			id = saved.runbook.id;
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { yaml, error: p.message, issues: p.issues ?? [] });
		}
		redirect(303, `/admin/runbooks/${id}`);
	}
};
