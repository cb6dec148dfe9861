/**
 * The interface catalogue: each business flow with its expected steps, owners, escalation path,
 * systems of record and SLA objectives. Exceptions, runbooks, lineage's expected path, dashboards
 * and alerts all hang off a flow entry.
 */
import { z } from 'zod';
import { whenSchema } from '../interpret/schema';

const slug = z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,79}$/, 'lower-case letters, digits and . _ : -');

/** "90s", "5m", "2h", "1d" → milliseconds */
export const duration = z
	.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration like 500ms, 90s, 5m, 2h, 1d')])
	.transform((v) => {
		if (typeof v === 'number') return v;
		const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v)!;
		const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
		return Number(m[1]) * unit;
	});

/** Step ids may be real span names (`POST`, `POST /orders`, `mule:flow`): printable, up to 120 characters. */
const stepId = z.string().regex(/^[^\u0000-\u001f]{1,120}$/, '1 to 120 printable characters').refine((s) => s.trim() === s, 'no leading or trailing spaces');

/** Which spans a flow or step is: one `when` block or a list (any of them). docs/interpretation.md */
const matchSchema = z
	.union([whenSchema, z.array(whenSchema).min(1)])
	.transform((m) => (Array.isArray(m) ? m : [m]))
	.optional();

export const stepSchema = z.object({
	/** matches integration.step (explicit, or set by the step's match rules) */
	id: stepId,
	name: z.string().min(1),
	/** the system the step runs in or talks to (crm, erp, wms, supplier:acme, …) */
	system: z.string().min(1),
	/** expected to have happened within this time of the transaction's first step; later = overdue */
	within: duration.optional(),
	/** happens only for some transactions (e.g. drop-ship lines) */
	optional: z.boolean().default(false),
	/** spans of this flow that are this step (span name, route, service, kind, destination attribute …) */
	match: matchSchema
}).strict();

export const milestoneSchema = z.object({
	name: slug,
	from: stepId,
	to: stepId,
	/** target latency between the two steps (same correlation ID, any trace) */
	target: duration
}).strict();

export const objectivesSchema = z.object({
	/** share of transactions that succeed, 0..1 */
	successRate: z.number().min(0).max(1).optional(),
	/** end-to-end time targets */
	e2eP95: duration.optional(),
	e2eP99: duration.optional(),
	milestones: z.array(milestoneSchema).default([]),
	eventDelayP95: duration.optional(),
	/** dead letters per hour above which the flow is red */
	deadLettersPerHour: z.number().nonnegative().optional(),
	duplicateRate: z.number().min(0).max(1).optional(),
	/** steps that start and end the end-to-end clock (default: first and last span of the first trace) */
	startStep: stepId.optional(),
	endStep: stepId.optional()
}).strict();

/** Facts a reconciliation rule may match keys on (docs/reconciliation.md); `key.<name>` for any other business key. */
export const RECON_KEYS = ['correlation_id', 'entity.id', 'message_id', 'idempotency_key'] as const;
/** Facts a rule may compare between source and target (stored by migration 400). */
export const RECON_FIELDS = ['amount', 'currency', 'quantity', 'partner', 'entity.type'] as const;
const OUTCOME_VALUES = ['success', 'failed', 'duplicate', 'rejected', 'relayed'] as const;

/** A point of a flow: spans or records of this step with one of these outcomes (default: success). */
const reconPoint = {
	step: stepId,
	outcome: z
		.union([z.enum(OUTCOME_VALUES), z.array(z.enum(OUTCOME_VALUES)).min(1)])
		.default('success')
		.transform((o) => (Array.isArray(o) ? o : [o])),
	/** the system the point is in (crm, erp, erp-new …): names the target and matches control totals */
	system: z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,79}$/, 'lower-case letters, digits and . _ : -')
};

export const reconTargetSchema = z.object({
	...reconPoint,
	/** time after the source within which the key must have arrived; absent later = missing */
	grace: duration.refine((ms) => ms <= 7 * 86_400_000, 'at most 7d'),
	/** optional targets (only some keys go there) never count as missing */
	required: z.boolean().default(true),
	/** the fields compared at this target, when not the rule's (a WMS carries no amount) */
	compare: z.array(z.enum(RECON_FIELDS)).optional()
}).strict();

export const reconRuleSchema = z.object({
	id: slug,
	name: z.string().min(1),
	/** the business key to match on */
	key: z
		.string()
		.refine((k) => (RECON_KEYS as readonly string[]).includes(k) || /^key\.[A-Za-z0-9_.-]{1,80}$/.test(k), `one of ${RECON_KEYS.join(', ')} or key.<name>`)
		.default('correlation_id'),
	/** the entity type control totals are reported for (integration.control.entity_type) */
	entityType: z.string().min(1).optional(),
	source: z.object(reconPoint).strict(),
	targets: z.array(reconTargetSchema).min(1),
	compare: z.array(z.enum(RECON_FIELDS)).default([]),
	/** numeric fields (amount, quantity) and control-total sums may differ by this much */
	tolerance: z.number().nonnegative().default(0),
	/** alert on keys missing past grace, and on control totals that differ */
	alerts: z.boolean().default(true)
}).strict();

export const flowSchema = z.object({
	/** matches integration.flow */
	id: slug,
	name: z.string().min(1),
	description: z.string().default(''),
	businessOwner: z.string().min(1),
	technicalOwner: z.string().min(1),
	escalation: z.array(z.string().min(1)).default([]),
	/** entity type → system of record */
	systemsOfRecord: z.record(z.string(), z.string()).default({}),
	/** spans that belong to this flow when they carry no integration.flow (service, route, span name …) */
	match: matchSchema,
	steps: z.array(stepSchema).default([]),
	objectives: objectivesSchema.default({ milestones: [] }),
	/** reconciliation controls: what left a source must arrive at its targets (docs/reconciliation.md) */
	reconciliation: z.array(reconRuleSchema).default([])
}).strict();

export const catalogueSchema = z
	.object({ flows: z.array(flowSchema) })
	.strict()
	.superRefine((c, ctx) => {
		const seen = new Set<string>();
		c.flows.forEach((f, i) => {
			if (seen.has(f.id)) ctx.addIssue({ code: 'custom', path: ['flows', i, 'id'], message: `duplicate flow id ${f.id}` });
			seen.add(f.id);
			const steps = new Set(f.steps.map((s) => s.id));
			f.objectives.milestones.forEach((m, j) => {
				for (const end of ['from', 'to'] as const) {
					if (!steps.has(m[end])) {
						ctx.addIssue({
							code: 'custom',
							path: ['flows', i, 'objectives', 'milestones', j, end],
							message: `milestone ${m.name}: step ${m[end]} is not a step of flow ${f.id}`
						});
					}
				}
			});
			const rules = new Set<string>();
			f.reconciliation.forEach((r, j) => {
				const at = ['flows', i, 'reconciliation', j];
				if (rules.has(r.id)) ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: `duplicate reconciliation rule id ${r.id}` });
				rules.add(r.id);
				if (!steps.has(r.source.step)) ctx.addIssue({ code: 'custom', path: [...at, 'source', 'step'], message: `step ${r.source.step} is not a step of flow ${f.id}` });
				const systems = new Set<string>();
				r.targets.forEach((t, k) => {
					if (!steps.has(t.step)) ctx.addIssue({ code: 'custom', path: [...at, 'targets', k, 'step'], message: `step ${t.step} is not a step of flow ${f.id}` });
					if (systems.has(t.system)) ctx.addIssue({ code: 'custom', path: [...at, 'targets', k, 'system'], message: `two targets name system ${t.system}` });
					systems.add(t.system);
				});
			});
		});
	});

export type Flow = z.infer<typeof flowSchema>;
export type FlowStep = z.infer<typeof stepSchema>;
export type Catalogue = z.infer<typeof catalogueSchema>;
export type ReconRule = z.infer<typeof reconRuleSchema>;
export type ReconTarget = z.infer<typeof reconTargetSchema>;
