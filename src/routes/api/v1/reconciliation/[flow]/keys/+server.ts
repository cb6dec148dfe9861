import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { flowOr404, keysCsv, parseKeysQuery, parseWindow } from '$lib/server/reconciliation/http';
import { keyRows } from '$lib/server/reconciliation/results';
import type { RequestHandler } from './$types';

/**
 * GET /api/v1/reconciliation/{flow}/keys?rule=&target=&state=&window=&start=&limit=[&format=csv]:
 * the keys behind one figure (JSON, or CSV as a download).
 */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	authorize(locals, 'reconciliation:read');
	const flow = flowOr404(params.flow);
	const w = parseWindow(url.searchParams);
	const q = parseKeysQuery(flow, url.searchParams);
	const rows = (await keyRows(flow.id, q.rule, w, q.target, q.state, q.limit))!;
	if (url.searchParams.get('format') === 'csv') {
		const name = `reconciliation-${flow.id}-${q.rule.id}-${q.target}-${q.state}-${w.from.toISOString().slice(0, 13)}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
		return new Response(keysCsv(rows, url.origin), {
			headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` }
		});
	}
	return json({ flow: flow.id, rule: q.rule.id, target: q.target, state: q.state, from: w.from.toISOString(), to: w.to.toISOString(), keys: rows });
};
