/**
 * The rule file (config/interpretation.yaml, and console versions of it): which packs are on, where
 * business keys come from, and rules that derive facts from what middleware really emits.
 * Validation lists every problem with its path; an unknown field or fact is an error, never
 * silently dropped. docs/interpretation.md documents the format.
 */
import { z } from 'zod';
import { FACTS, KEY_PREFIX } from './facts';

export const PACKS = ['semconv', 'node-red', 'camel', 'mulesoft', 'n8n'] as const;
export type PackName = (typeof PACKS)[number];

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,79}$/, 'lower-case letters, digits and . _ : -');
const keyName = z.string().regex(/^[a-z0-9_]{1,64}$/, 'lower-case letters, digits and _');

/** A glob (`*` any run, `?` one character) or a regular expression written `/…/` or `/…/i`. */
const pattern = z
	.string()
	.min(1)
	.max(500)
	.superRefine((s, ctx) => {
		const m = /^\/(.*)\/([imsu]*)$/s.exec(s);
		if (!m) return;
		try {
			new RegExp(m[1], m[2]);
		} catch (e) {
			ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(e as Error).message}` });
		}
	});

/**
 * Where a value comes from:
 * - `attr:<name>` span/log attribute (an array's first element; `attr:<name>[*]` not needed: first wins)
 * - `resource:<name>`, `scope`, `name` (span name), `kind`, `status`, `status_message`, `service`
 * - `event:<event name>:<attribute>` (span events, e.g. `event:exception:exception.type`)
 * - `baggage:<key>` (an attribute copied from baggage by a BaggageSpanProcessor, or the captured
 *   `baggage` request header)
 * - `body` (log body; with `path` a JSON path into it)
 * - `route` (http.route, else url.path, else url.full's path)
 */
export const SOURCE_RE = /^(attr:.+|resource:.+|event:[^:]+:.+|baggage:.+|scope|name|kind|status|status_message|service|body|route)$/;
const source = z.string().regex(SOURCE_RE, 'a source: attr:<name>, resource:<name>, event:<event>:<attr>, baggage:<key>, body, name, kind, status, status_message, service, scope or route');

/** `$.a.b[0].c` */
const jsonPath = z.string().regex(/^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\['[^']+'\])*$/, "a JSON path like $.order.id, $.lines[0].sku or $['order-id']");

export const valueSchema = z.union([
	z.string().min(1).max(500),
	z
		.object({
			from: source,
			/** JSON path into the value (JSON text: a body, an array or map attribute) */
			path: jsonPath.optional(),
			/** keep the first capture group (or the whole match) */
			regex: pattern.optional(),
			/** translate the value (e.g. status codes to outcomes); values not listed pass unchanged unless `only` */
			map: z.record(z.string(), z.string()).optional(),
			/** with map: a value not in the map yields nothing */
			only: z.boolean().default(false),
			/** the result written into a text: `HTTP {}` → `HTTP 422` */
			format: z.string().max(200).refine((f) => f.includes('{}'), 'a format contains {} where the value goes').optional()
		})
		.strict()
]);

const kinds = z.enum(['internal', 'server', 'client', 'producer', 'consumer', 'unspecified']);

export const whenSchema = z
	.object({
		signal: z.enum(['span', 'log']).optional(),
		service: pattern.optional(),
		scope: pattern.optional(),
		name: pattern.optional(),
		kind: z.union([kinds, z.array(kinds).min(1)]).optional(),
		/** http.route, else url.path */
		route: pattern.optional(),
		status: z.enum(['error', 'ok', 'unset']).optional(),
		/** log event name (LogRecord.event_name or event.name) */
		event: pattern.optional(),
		/** attribute → pattern; `*` = present */
		attr: z.record(z.string().min(1), pattern).optional(),
		resource: z.record(z.string().min(1), pattern).optional(),
		/** the flow derived so far (explicit, an earlier rule, the catalogue or the trace) */
		flow: pattern.optional()
	})
	.strict();

const factKey = z.string().superRefine((k, ctx) => {
	if ((FACTS as readonly string[]).includes(k)) return;
	if (k.startsWith(KEY_PREFIX) && /^[a-z0-9_]{1,64}$/.test(k.slice(KEY_PREFIX.length))) return;
	ctx.addIssue({ code: 'custom', message: `unknown fact "${k}": one of ${FACTS.join(', ')}, or key.<name>` });
});

export const ruleSchema = z
	.object({
		id: ruleId,
		description: z.string().optional(),
		when: whenSchema.default({}),
		set: z.record(factKey, valueSchema).refine((s) => Object.keys(s).length > 0, 'a rule sets at least one fact')
	})
	.strict();

export const rulesFileSchema = z
	.object({
		/** packs that apply below your rules (default: all) */
		packs: z.array(z.enum(PACKS)).default([...PACKS]),
		/** business key name → sources, tried in order (correlation_id, message_id, idempotency_key or any key name) */
		keys: z.record(keyName, z.array(valueSchema).min(1)).default({}),
		rules: z.array(ruleSchema).default([])
	})
	.strict();

/**
 * Duplicate rule ids, read from the raw document: a zod refinement would not run while any other
 * part is invalid, and every problem must be listed at once.
 */
export function duplicateRuleIds(doc: unknown): { path: string; message: string }[] {
	const rules = (doc as { rules?: unknown } | null)?.rules;
	if (!Array.isArray(rules)) return [];
	const seen = new Set<string>();
	const out: { path: string; message: string }[] = [];
	rules.forEach((r, i) => {
		const id = (r as { id?: unknown } | null)?.id;
		if (typeof id !== 'string') return;
		if (seen.has(id)) out.push({ path: `rules.${i}.id`, message: `duplicate rule id ${id}` });
		seen.add(id);
	});
	return out;
}

export type Value = z.infer<typeof valueSchema>;
export type ValueInput = z.input<typeof valueSchema>;
export type When = z.infer<typeof whenSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;
export type RulesFile = z.infer<typeof rulesFileSchema>;
export type RulesFileInput = z.input<typeof rulesFileSchema>;
