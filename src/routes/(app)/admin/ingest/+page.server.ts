import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { appendAudit } from '$lib/server/audit/log';
import { authorize } from '$lib/server/auth/roles';
import { config } from '$lib/server/config';
import { db } from '$lib/server/db';
import { addToken, listIngestSources, revokeSource, SOURCE_NAME } from '$lib/server/ingest-tokens';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'tokens:admin');
	return { sources: await listIngestSources(db()), required: config().ingestAuth };
};

const source = z.object({
	source: z.string().trim().regex(SOURCE_NAME, 'a source name is 1–100 letters, digits or _ . : - (e.g. mulesoft-prod)')
});

export const actions: Actions = {
	/** the token is returned once, in this response; only its SHA-256 is kept */
	create: async ({ locals, request }) => {
		const me = authorize(locals, 'tokens:admin');
		const r = source.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { message: r.error.issues[0].message });
		await appendAudit(async () => ({ actor: me.email, role: me.role, action: 'ingest_token_add', subjectType: 'ingest_source', subjectId: r.data.source, result: 'ok' }));
		const token = await addToken(db(), r.data.source);
		return { token, source: r.data.source };
	},
	revoke: async ({ locals, request }) => {
		const me = authorize(locals, 'tokens:admin');
		const r = source.safeParse(Object.fromEntries(await request.formData()));
		if (!r.success) return fail(400, { message: r.error.issues[0].message });
		const n = await revokeSource(db(), r.data.source);
		if (n === 0) return fail(404, { message: `${r.data.source} has no active token.` });
		await appendAudit(async () => ({ actor: me.email, role: me.role, action: 'ingest_token_revoke', subjectType: 'ingest_source', subjectId: r.data.source, result: 'ok', data: { revoked: n } }));
		return { message: `Revoked ${n} token${n === 1 ? '' : 's'} of ${r.data.source}. The collector refuses them within 30 seconds.` };
	}
};
