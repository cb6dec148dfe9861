import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { auditCsv, evidencePack } from '$lib/server/exceptions/evidence';
import type { RequestHandler } from './$types';

/** GET the evidence pack for one business key: JSON, or ?format=csv for the audit trail. */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	authorize(locals, 'exceptions:read');
	const pack = await evidencePack(params.key);
	const safe = params.key.replace(/[^A-Za-z0-9._-]/g, '_');
	if (url.searchParams.get('format') === 'csv') {
		return new Response(auditCsv(pack.audit), {
			headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="evidence-${safe}.csv"` }
		});
	}
	return json(pack, { headers: { 'content-disposition': `attachment; filename="evidence-${safe}.json"` } });
};
