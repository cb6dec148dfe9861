import { authorize } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { parseWindow } from '$lib/server/reconciliation/http';
import { overview } from '$lib/server/reconciliation/results';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'reconciliation:read');
	const w = parseWindow(url.searchParams);
	return { window: w.window, overview: await overview(catalogue().flows, w) };
};
