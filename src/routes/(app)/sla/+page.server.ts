import { authorize } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { overview } from '$lib/server/sla/overview';
import { foldedAt } from '$lib/server/sla/fold';
import { parseRange } from '$lib/server/sla/range';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'sla:read');
	const range = parseRange(url.searchParams);
	const tiles = await overview(catalogue().flows, range);
	return {
		foldedAt: new Date(foldedAt()).toISOString(),
		range: { range: range.range, from: range.from.toISOString(), to: range.to.toISOString(), bucketSeconds: range.bucketSeconds },
		tiles
	};
};
