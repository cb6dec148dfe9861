import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import { latestReinterpret, MAX_DAYS, ReinterpretError, startReinterpret } from '$lib/server/interpret/reinterpret';
import type { RequestHandler } from './$types';

const body = z.object({ days: z.number().int().min(1).max(MAX_DAYS) });

/** POST { days } → 202 { jobId }: re-interpret the last `days` UTC days with the rules in use; 409 while a job runs. */
export const POST: RequestHandler = async ({ locals, request }) => {
	const user = authorize(locals, 'interpretation:edit');
	const parsed = body.safeParse(await request.json().catch(() => undefined));
	if (!parsed.success) {
		const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
		return json({ message: issues.join('; '), issues }, { status: 400 });
	}
	try {
		return json(await startReinterpret({ days: parsed.data.days, actor: user.email, role: user.role }), { status: 202 });
	} catch (e) {
		if (e instanceof ReinterpretError) return json({ message: e.message }, { status: e.status });
		throw e;
	}
};

/** GET → { job }: the newest job's status (null before the first). */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'interpretation:edit');
	return json({ job: await latestReinterpret() });
};
