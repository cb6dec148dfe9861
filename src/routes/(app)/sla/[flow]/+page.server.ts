import { error } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { findFlow } from '$lib/server/flows/catalogue';
import { flowPage } from '$lib/server/sla/flow-page';
import { foldedAt } from '$lib/server/sla/fold';
import { parseRange } from '$lib/server/sla/range';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params, url }) => {
	authorize(locals, 'sla:read');
	const flow = findFlow(params.flow);
	if (!flow) error(404, `There is no flow “${params.flow}” in the catalogue`);
	const range = parseRange(url.searchParams);
	const data = await flowPage(flow, range);
	return {
		foldedAt: new Date(foldedAt()).toISOString(),
		flow: {
			id: flow.id,
			name: flow.name,
			description: flow.description,
			businessOwner: flow.businessOwner,
			technicalOwner: flow.technicalOwner,
			escalation: flow.escalation,
			steps: flow.steps.map((s) => ({ id: s.id, name: s.name, system: s.system })),
			objectives: { e2eP95: flow.objectives.e2eP95 ?? null, eventDelayP95: flow.objectives.eventDelayP95 ?? null, successRate: flow.objectives.successRate ?? null }
		},
		range: { range: range.range, from: range.from.toISOString(), to: range.to.toISOString(), bucketSeconds: range.bucketSeconds },
		...data
	};
};
