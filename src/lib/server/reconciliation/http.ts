/**
 * The reconciliation edges shared by the page and the API: the window from the URL, the rule and
 * flow lookups, and the CSV export of a drill-down list.
 */
import { error } from '@sveltejs/kit';
import { findFlow } from '../flows/catalogue';
import type { Flow, ReconRule } from '../flows/schema';
import { keysQuerySchema, windowQuerySchema, type KeyRow, type KeyState } from './schemas';

const problems = (issues: { path: PropertyKey[]; message: string }[]) => issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');

/** ?window=day|hour&start=<ISO>; 400 with every problem listed. */
export function parseWindow(params: URLSearchParams) {
	const r = windowQuerySchema.safeParse({ window: params.get('window') ?? undefined, start: params.get('start') || undefined });
	if (!r.success) error(400, problems(r.error.issues));
	return { ...r.data, now: new Date() };
}

/** The flow (404 when unknown). */
export function flowOr404(id: string): Flow {
	const flow = findFlow(id);
	if (!flow) error(404, `no flow ${id}`);
	return flow;
}

/** ?rule=&target=&state=&limit= of a drill-down, checked against the flow's rules. */
export function parseKeysQuery(flow: Flow, params: URLSearchParams): { rule: ReconRule; target: string; state: KeyState; limit: number } {
	const r = keysQuerySchema.safeParse(Object.fromEntries(params));
	if (!r.success) error(400, problems(r.error.issues));
	const rule = flow.reconciliation.find((x) => x.id === r.data.rule);
	if (!rule) error(404, `flow ${flow.id} has no reconciliation rule ${r.data.rule}`);
	if (!rule.targets.some((t) => t.system === r.data.target)) error(404, `rule ${rule.id} has no target ${r.data.target}`);
	return { rule, target: r.data.target, state: r.data.state, limit: r.data.limit };
}

/**
 * RFC 4180 text; keys and fields come from telemetry, so a cell a spreadsheet would run as a
 * formula (= + - @ tab CR) is prefixed with an apostrophe (OWASP CSV injection).
 */
export function keysCsv(rows: KeyRow[], origin: string): string {
	const cell = (v: string) => {
		const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
		return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
	};
	const head = ['key', 'source_at', 'target_at', 'arrivals', 'late', 'differs', 'source_fields', 'target_fields', 'lineage', 'exception'];
	const lines = rows.map((r) =>
		[
			r.key,
			r.sourceAt ?? '',
			r.targetAt ?? '',
			String(r.arrivals),
			r.late ? 'yes' : 'no',
			r.differs.join(' '),
			JSON.stringify(r.sourceFields),
			JSON.stringify(r.targetFields),
			`${origin}/lineage/${encodeURIComponent(r.key)}`,
			r.exceptionId ? `${origin}/exceptions/${r.exceptionId}` : ''
		].map(cell).join(',')
	);
	return [head.join(','), ...lines].join('\r\n') + '\r\n';
}
