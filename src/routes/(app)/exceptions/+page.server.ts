import { fail } from '@sveltejs/kit';
import { ZodError, z } from 'zod';
import { authorize, can } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { listExceptions, parseListQuery, QUEUE_DEFAULTS, sqlFilters } from '$lib/server/exceptions/list';
import { dryRun, idsMatching, startBulk } from '$lib/server/exceptions/bulk';
import { permissionFor } from '$lib/server/exceptions/service';
import { problemOf } from '$lib/server/exceptions/http';
import { ACTIONS, STATES } from '$lib/server/exceptions/state';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = authorize(locals, 'exceptions:read');
	const flows = catalogue().flows.map((f) => ({ id: f.id, name: f.name }));
	const base = { flows, states: STATES, canAct: can(user, 'exceptions:act'), canApprove: can(user, 'replay:approve'), query: Object.fromEntries(url.searchParams), defaults: QUEUE_DEFAULTS };
	let query;
	try {
		query = parseListQuery(url.searchParams, QUEUE_DEFAULTS);
	} catch (e) {
		const message = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(e);
		return { ...base, filterError: message, total: 0, items: [], groups: [], next: null };
	}
	try {
		const { total, items, groups, next } = await listExceptions(query, user);
		return { ...base, filterError: null, total, items, groups, next };
	} catch (e) {
		const p = problemOf(e);
		if (p.status >= 500) throw e;
		return { ...base, filterError: p.message, total: 0, items: [], groups: [], next: null };
	}
};

const bulkForm = z.object({
	action: z.enum(ACTIONS, { message: 'choose an action' }),
	comment: z.string().trim().max(4000).default(''),
	assignee: z.string().trim().max(200).optional(),
	/** 'ids': the selected rows; 'filter': everything matching the queue's filter (query string) */
	scope: z.enum(['ids', 'filter']).default('ids'),
	filter: z.string().max(4000).default(''),
	ids: z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(1000)
});

function readBulk(fd: FormData) {
	const parsed = bulkForm.safeParse({
		action: fd.get('action') || undefined,
		comment: fd.get('comment') ?? '',
		assignee: fd.get('assignee') || undefined,
		scope: fd.get('scope') || undefined,
		filter: fd.get('filter') ?? '',
		ids: fd.getAll('ids').map(String)
	});
	if (parsed.success && parsed.data.scope === 'ids' && parsed.data.ids.length === 0) {
		return { success: false as const, error: { issues: [{ message: 'select at least one exception' }] } };
	}
	return parsed;
}

/** The ids a bulk form means: the selection, or everything the filter matches now. */
async function bulkIds(b: z.output<typeof bulkForm>, user: { email: string }): Promise<string[]> {
	if (b.scope === 'ids') return b.ids;
	return idsMatching(sqlFilters(parseListQuery(new URLSearchParams(b.filter), QUEUE_DEFAULTS), user));
}

/** A plan for the page: the counts, and at most this many ids per list (the API returns them all). */
const SHOWN = 50;

export const actions: Actions = {
	/** What a bulk action would do, before it runs. */
	dryrun: async ({ locals, request }) => {
		authorize(locals, 'exceptions:act');
		const b = readBulk(await request.formData());
		if (!b.success) return fail(400, { error: b.error.issues.map((i) => i.message).join('; ') });
		const user = authorize(locals, permissionFor(b.data.action));
		try {
			const plan = await dryRun(await bulkIds(b.data, user), b.data.action, user);
			return {
				plan: { ...plan, eligible: plan.eligible.slice(0, SHOWN), eligibleCount: plan.eligible.length, duplicateCount: plan.duplicates.length, invalidCount: plan.invalid.length, duplicates: plan.duplicates.slice(0, SHOWN), invalid: plan.invalid.slice(0, SHOWN) },
				scope: b.data.scope,
				filter: b.data.filter,
				comment: b.data.comment,
				assignee: b.data.assignee ?? ''
			};
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { error: p.message });
		}
	},
	/** Start the bulk job over the same scope (re-planned now); the page polls its progress. */
	bulk: async ({ locals, request }) => {
		authorize(locals, 'exceptions:act');
		const b = readBulk(await request.formData());
		if (!b.success) return fail(400, { error: b.error.issues.map((i) => i.message).join('; ') });
		const user = authorize(locals, permissionFor(b.data.action));
		try {
			const { job } = await startBulk(await bulkIds(b.data, user), b.data, user);
			return { job: { ...job } };
		} catch (e) {
			const p = problemOf(e);
			return fail(p.status, { error: p.message });
		}
	}
};
