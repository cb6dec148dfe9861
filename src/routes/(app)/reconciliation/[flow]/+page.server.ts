import { authorize, can } from '$lib/server/auth/roles';
import { flowOr404, parseKeysQuery, parseWindow } from '$lib/server/reconciliation/http';
import { flowResult, keyRows } from '$lib/server/reconciliation/results';
import type { PageServerLoad } from './$types';

/** Keys listed on the page; the CSV export has up to 100,000. */
const LIST_LIMIT = 200;

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const user = authorize(locals, 'reconciliation:read');
	const flow = flowOr404(params.flow);
	const w = parseWindow(url.searchParams);
	const selected = url.searchParams.has('rule') ? parseKeysQuery(flow, new URLSearchParams({ limit: String(LIST_LIMIT), ...Object.fromEntries(url.searchParams) })) : null;
	const [result, keys] = await Promise.all([
		flowResult(flow, w),
		selected ? keyRows(flow.id, selected.rule, w, selected.target, selected.state, LIST_LIMIT) : Promise.resolve(null)
	]);
	const len = w.to.getTime() - w.from.getTime();
	return {
		flow: { id: flow.id, name: flow.name, businessOwner: flow.businessOwner },
		window: { window: w.window, from: w.from.toISOString(), to: w.to.toISOString(), bucketSeconds: w.bucketSeconds },
		previous: new Date(w.from.getTime() - len).toISOString(),
		next: w.to.getTime() <= w.now.getTime() ? w.to.toISOString() : null,
		result,
		selected: selected && { rule: selected.rule.id, target: selected.target, state: selected.state, keys: keys!, limit: LIST_LIMIT },
		canEdit: can(user, 'flows:edit')
	};
};
