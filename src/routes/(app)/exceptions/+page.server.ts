import { fail } from '@sveltejs/kit';
import { ZodError, z } from 'zod';
import { authorize, can } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { listExceptions, parseListQuery } from '$lib/server/exceptions/list';
import { dryRun, startBulk } from '$lib/server/exceptions/bulk';
import { permissionFor } from '$lib/server/exceptions/service';
import { problemOf } from '$lib/server/exceptions/http';
import { ACTIONS, STATES } from '$lib/server/exceptions/state';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = authorize(locals, 'exceptions:read');
	const flows = catalogue().flows.map((f) => ({ id: f.id, name: f.name }));
	let query;
	try {
		query = parseListQuery(url.searchParams);
	} catch (e) {
		const message = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(e);
		return { flows, states: STATES, filterError: message, total: 0, items: [], groups: [], canAct: can(user, 'exceptions:act'), canApprove: can(user, 'replay:approve'), query: {} };
	}
	const { total, items, groups } = await listExceptions(query);
	return { flows, states: STATES, filterError: null, total, items, groups, canAct: can(user, 'exceptions:act'), canApprove: can(user, 'replay:approve'), query: Object.fromEntries(url.searchParams) };
};

const bulkForm = z.object({
	action: z.enum(ACTIONS, { message: 'choose an action' }),
	comment: z.string().trim().max(4000).default(''),
	assignee: z.string().trim().max(200).optional(),
	ids: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1, 'select at least one exception').max(1000)
});

function readBulk(fd: FormData) {
	return bulkForm.safeParse({
		action: fd.get('action') || undefined,
		comment: fd.get('comment') ?? '',
		assignee: fd.get('assignee') || undefined,
		ids: fd.getAll('ids').map(String)
	});
}

export const actions: Actions = {
	/** What a bulk action would do, before it runs. */
	dryrun: async ({ locals, request }) => {
		authorize(locals, 'exceptions:act');
		const b = readBulk(await request.formData());
		if (!b.success) return fail(400, { error: b.error.issues.map((i) => i.message).join('; ') });
		const user = authorize(locals, permissionFor(b.data.action));
		return { plan: await dryRun(b.data.ids, b.data.action, user), comment: b.data.comment, assignee: b.data.assignee ?? '' };
	},
	/** Start the bulk job; the page polls its progress. */
	bulk: async ({ locals, request }) => {
		authorize(locals, 'exceptions:act');
		const b = readBulk(await request.formData());
		if (!b.success) return fail(400, { error: b.error.issues.map((i) => i.message).join('; ') });
		const user = authorize(locals, permissionFor(b.data.action));
		try {
			const { job, plan } = await startBulk(b.data.ids, b.data, user);
			return { job: { ...job }, plan };
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { error: p.message });
		}
	}
};
