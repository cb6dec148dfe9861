import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { authorize } from '$lib/server/auth/roles';
import type { Item } from '$lib/server/interpret/facts';
import { MAX_DAYS, ReinterpretError, startReinterpret } from '$lib/server/interpret/reinterpret';
import { RulesError } from '$lib/server/interpret/ruleset';
import { itemFromSpan, recentSpans } from '$lib/server/interpret/stored';
import { listRuleVersions, ruleDocument, RulesVersionConflict, saveRuleVersion } from '$lib/server/interpret/versions';
import { issuesOf, itemsFromOtlpJson, MAX_OTLP_JSON, packsOf, preview, SampleError, servicesSeen } from '$lib/server/interpret/workbench';
import type { Actions, PageServerLoad } from './$types';

/** The sample of stored spans reaches this far back. */
const SAMPLE_HOURS = 24;
/** Spans listed in the preview table (coverage and rule hits count the whole sample). */
const MAX_ROWS = 1000;

export const load: PageServerLoad = async ({ locals, url }) => {
	authorize(locals, 'interpretation:edit');
	const v = z.coerce.number().int().nonnegative().optional().catch(undefined).parse(url.searchParams.get('version') ?? undefined);
	const [versions, latest, services] = await Promise.all([listRuleVersions(), ruleDocument(), servicesSeen(SAMPLE_HOURS)]);
	let viewing = latest;
	if (v !== undefined && v !== latest.version) {
		try {
			viewing = await ruleDocument(v);
		} catch (e) {
			if (!(e instanceof RulesVersionConflict)) throw e;
		}
	}
	return { versions, latest: latest.version, viewing, packs: packsOf(viewing.document), services, sampleHours: SAMPLE_HOURS, maxOtlpJson: MAX_OTLP_JSON, maxDays: MAX_DAYS };
};

const previewForm = z.object({
	document: z.string().max(1_000_000, 'the rules are longer than 1 MB'),
	source: z.enum(['recent', 'paste']).default('recent'),
	service: z.string().max(500).default(''),
	traces: z.coerce.number().int('a whole number of traces').min(1, 'at least 1 trace').max(500, 'at most 500 traces').default(50),
	otlp: z.string().default('')
});

const saveForm = z.object({
	document: z.string().max(1_000_000, 'the rules are longer than 1 MB'),
	comment: z.string().trim().min(3, 'say what changed and why (at least 3 characters)').max(500),
	baseVersion: z.coerce.number().int().nonnegative()
});

const reinterpretForm = z.object({
	days: z.coerce.number().int('a whole number of days').min(1, 'at least 1 day').max(MAX_DAYS, `at most ${MAX_DAYS} days`)
});

const text = (v: FormDataEntryValue | undefined) => (typeof v === 'string' ? v : '');
const problems = (e: z.ZodError) => e.issues.map((i) => i.message).join('; ');

export const actions: Actions = {
	/** Run the edited rules over a sample (recent spans or pasted OTLP/JSON) and compare with the rules in use. */
	preview: async ({ locals, request }) => {
		authorize(locals, 'interpretation:edit');
		const form = Object.fromEntries(await request.formData());
		const parsed = previewForm.safeParse(form);
		if (!parsed.success) return fail(400, { action: 'preview' as const, error: problems(parsed.error), document: text(form.document), otlp: text(form.otlp) });
		const { document, source, service, traces, otlp } = parsed.data;
		let sample: { items: Item[]; rejected: string };
		try {
			sample =
				source === 'paste'
					? itemsFromOtlpJson(otlp)
					: { items: (await recentSpans({ service: service || undefined, traces, sinceHours: SAMPLE_HOURS })).map(itemFromSpan), rejected: '' };
		} catch (e) {
			if (e instanceof SampleError) return fail(400, { action: 'preview' as const, error: e.message, document, otlp });
			throw e;
		}
		const inUse = await ruleDocument();
		const result = preview(document, sample.items, inUse.document);
		return {
			action: 'preview' as const,
			document,
			otlp,
			sample: { source, service, traces, items: sample.items.length, rejected: sample.rejected, comparedWith: inUse.version },
			result: result.ok ? { ...result, rows: result.rows.slice(0, MAX_ROWS), totalRows: result.rows.length } : result
		};
	},

	/** Save the edited rules as a new version (validated; refused when someone saved in between). */
	save: async ({ locals, request }) => {
		const user = authorize(locals, 'interpretation:edit');
		const form = Object.fromEntries(await request.formData());
		const kept = { document: text(form.document), comment: text(form.comment), otlp: text(form.otlp) };
		const refused = (status: number, error: string, issues: string[] = []) => fail(status, { action: 'save' as const, error, issues, ...kept });
		const parsed = saveForm.safeParse(form);
		if (!parsed.success) return refused(400, problems(parsed.error));
		try {
			const v = await saveRuleVersion({ ...parsed.data, author: user.email, role: user.role });
			return { action: 'save' as const, saved: v.version, otlp: kept.otlp };
		} catch (e) {
			if (e instanceof RulesError) return refused(400, 'Nothing was saved: the rules are invalid.', issuesOf(e));
			if (e instanceof RulesVersionConflict) return refused(409, e.message);
			throw e;
		}
	},

	/** Apply the rules in use to the stored telemetry of the last N days (a background job; one at a time). */
	reinterpret: async ({ locals, request }) => {
		const user = authorize(locals, 'interpretation:edit');
		const parsed = reinterpretForm.safeParse(Object.fromEntries(await request.formData()));
		if (!parsed.success) return fail(400, { action: 'reinterpret' as const, error: problems(parsed.error) });
		try {
			const { jobId } = await startReinterpret({ days: parsed.data.days, actor: user.email, role: user.role });
			return { action: 'reinterpret' as const, jobId };
		} catch (e) {
			if (e instanceof ReinterpretError) return fail(e.status, { action: 'reinterpret' as const, error: e.message });
			throw e;
		}
	}
};
