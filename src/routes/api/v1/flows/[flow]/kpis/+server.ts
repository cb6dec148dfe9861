import { error, json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { findFlow } from '$lib/server/flows/catalogue';
import { flowKpis } from '$lib/server/sla/flow-kpis';
import { kpiQuerySchema } from '$lib/server/sla/schemas';
import type { RequestHandler } from './$types';

/** GET /api/v1/flows/{flow}/kpis?from=<ISO>&to=<ISO> */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	authorize(locals, 'sla:read');
	const flow = findFlow(params.flow);
	if (!flow) error(404, `no flow ${params.flow}`);
	const q = kpiQuerySchema.safeParse(Object.fromEntries(url.searchParams));
	if (!q.success) error(400, q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
	return json(await flowKpis(flow, { ...q.data, now: new Date() }));
};
