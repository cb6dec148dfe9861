import { authorize } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { overview } from '$lib/server/sla/overview';
import { foldedAt } from '$lib/server/sla/fold';
import { parseRange } from '$lib/server/sla/range';
import { can } from '$lib/server/auth/roles';
import { parseWindow } from '$lib/server/reconciliation/http';
import { overviewCached as reconciliationOverview } from '$lib/server/reconciliation/results';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'sla:read');
	const range = parseRange(url.searchParams);
	// the reconciliation tile: the current UTC day, the same window its links open
	const [tiles, reconciliation] = await Promise.all([
		overview(catalogue().flows, range),
		can(locals.user, 'reconciliation:read') ? reconciliationOverview(catalogue().flows, parseWindow(new URLSearchParams())) : null
	]);
	return {
		foldedAt: new Date(foldedAt()).toISOString(),
		range: { range: range.range, from: range.from.toISOString(), to: range.to.toISOString(), bucketSeconds: range.bucketSeconds },
		tiles,
		reconciliation
	};
};
