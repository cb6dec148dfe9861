import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { CatalogueError } from '$lib/server/flows/catalogue';
import { listVersions, saveVersion, versionDocument, VersionConflictError } from '$lib/server/flows/versions';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'flows:edit');
	const v = z.coerce.number().int().nonnegative().optional().catch(undefined).parse(url.searchParams.get('version') ?? undefined);
	const [versions, latest] = await Promise.all([listVersions(), versionDocument()]);
	let viewing = latest;
	if (v !== undefined && v !== latest.version) {
		try {
			viewing = await versionDocument(v);
		} catch {
			viewing = latest;
		}
	}
	return { versions, latest: latest.version, viewing };
};

const saveForm = z.object({
	document: z.string().min(1, 'the catalogue is empty').max(1_000_000),
	comment: z.string().trim().min(3, 'say what changed and why (at least 3 characters)').max(500),
	baseVersion: z.coerce.number().int().nonnegative()
});

export const actions: Actions = {
	/** Save the edited YAML as a new version (validated; refused if someone saved in between). */
	save: async ({ locals, request }) => {
		const user = authorize(locals, 'flows:edit');
		const form = Object.fromEntries(await request.formData());
		const parsed = saveForm.safeParse(form);
		if (!parsed.success) return fail(400, { error: parsed.error.issues.map((i) => i.message).join('; '), document: String(form.document ?? ''), comment: String(form.comment ?? '') });
		try {
			const v = await saveVersion({ ...parsed.data, author: user.email, role: user.role });
			return { saved: v.version, changed: v.changedFlows };
		} catch (e) {
			if (e instanceof CatalogueError) return fail(400, { error: e.message, document: parsed.data.document, comment: parsed.data.comment });
			if (e instanceof VersionConflictError) return fail(409, { error: e.message, document: parsed.data.document, comment: parsed.data.comment });
			throw e;
		}
	}
};
