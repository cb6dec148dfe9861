import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { findLineage, lineageKey, toApi } from '$lib/server/lineage';
import type { RequestHandler } from './$types';

const query = z.object({ key: lineageKey });

/** Everything that happened to one key: `{ key, traces, spans, logs }`, sorted by time. */
export const GET: RequestHandler = async ({ locals, url }) => {
	authorize(locals, 'lineage:read');
	const q = query.safeParse({ key: url.searchParams.get('key') ?? '' });
	if (!q.success) return json({ message: q.error.issues.map((i) => i.message).join('; ') }, { status: 400 });
	return json(toApi(await findLineage(q.data.key, { detail: false })));
};
