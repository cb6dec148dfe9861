/**
 * Zod schemas at the reconciliation edges: the window and drill-down parameters, and the documents
 * the API returns (also the source of the OpenAPI fragment, openapi/reconciliation.ts).
 */
import { z } from 'zod';

/** Per (rule, target) a source key in the window is exactly one of these; `unexpected` keys have no source. */
export const STATES = ['matched', 'missing', 'pending', 'absent', 'duplicated', 'mismatched', 'unexpected'] as const;
export type KeyState = (typeof STATES)[number];

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** The trend's bucket per window: hourly for a day, 5 minutes for an hour. */
export const BUCKET_SECONDS = { day: 3600, hour: 300 } as const;

/**
 * ?window=day|hour&start=<ISO> (start defaults to the current UTC day or hour; any start is floored
 * to the window's boundary). The hourly trend of a day, 5-minute buckets for an hour.
 */
export const windowQuerySchema = z
	.object({
		window: z.enum(['day', 'hour']).default('day'),
		start: z.iso.datetime({ offset: true, local: true }).optional()
	})
	.transform(({ window, start }, ctx) => {
		const len = window === 'day' ? DAY : HOUR;
		const at = start ? new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(start) ? start : `${start}Z`) : new Date();
		if (Number.isNaN(at.getTime())) {
			ctx.addIssue({ code: 'custom', message: 'start is not a date', path: ['start'] });
			return z.NEVER;
		}
		const from = new Date(Math.floor(at.getTime() / len) * len);
		return { window, from, to: new Date(from.getTime() + len), bucketSeconds: BUCKET_SECONDS[window] };
	});
export type ReconWindow = z.output<typeof windowQuerySchema>;

export const keysQuerySchema = z.object({
	rule: z.string().min(1),
	target: z.string().min(1),
	state: z.enum(STATES),
	limit: z.coerce.number().int().min(1).max(100_000).default(200)
});

const count = z.number().int().nonnegative();
const figures = z.object(Object.fromEntries(STATES.map((s) => [s, count])) as Record<KeyState, typeof count>);

export const controlTotalSchema = z.object({
	system: z.string(),
	entityType: z.string(),
	/** the point of the rule the system's figures are set beside (source or a target step) */
	step: z.string(),
	windowStart: z.string(),
	windowEnd: z.string(),
	reported: z.object({ count: z.number(), sums: z.record(z.string(), z.number()) }),
	seen: z.object({ count: z.number(), sums: z.record(z.string(), z.number()) }),
	/** reported − seen */
	difference: z.object({ count: z.number(), sums: z.record(z.string(), z.number()) }),
	agrees: z.boolean(),
	reportedAt: z.string()
});

export const ruleResultSchema = z.object({
	rule: z.string(),
	name: z.string(),
	key: z.string(),
	source: z.object({ step: z.string(), system: z.string() }),
	/** keys whose first source point is in the window */
	sourceKeys: count,
	targets: z.array(
		z.object({
			system: z.string(),
			step: z.string(),
			required: z.boolean(),
			graceMs: z.number(),
			figures,
			/** keys that arrived (matched, duplicated or mismatched) later than the grace period */
			late: count
		})
	),
	/** per bucket start (ISO): source keys and, per target system, the figures */
	trend: z.array(z.object({ at: z.string(), sourceKeys: count, targets: z.record(z.string(), figures) })),
	controlTotals: z.array(controlTotalSchema)
});
export type RuleResult = z.infer<typeof ruleResultSchema>;

export const flowResultSchema = z.object({
	flow: z.string(),
	window: z.enum(['day', 'hour']),
	from: z.string(),
	to: z.string(),
	rules: z.array(ruleResultSchema)
});
export type FlowResult = z.infer<typeof flowResultSchema>;

export const keyRowSchema = z.object({
	key: z.string(),
	sourceAt: z.string().nullable(),
	targetAt: z.string().nullable(),
	/** distinct spans or records of the key at the target */
	arrivals: count,
	late: z.boolean(),
	/** compared fields that differ */
	differs: z.array(z.string()),
	sourceFields: z.record(z.string(), z.string()),
	targetFields: z.record(z.string(), z.string()),
	exceptionId: z.string().nullable()
});
export type KeyRow = z.infer<typeof keyRowSchema>;

export const overviewSchema = z.object({
	from: z.string(),
	to: z.string(),
	flows: z.array(
		z.object({
			flow: z.string(),
			name: z.string(),
			rules: count,
			targets: count,
			sourceKeys: count,
			matched: count,
			missing: count,
			pending: count,
			duplicated: count,
			mismatched: count,
			unexpected: count,
			controlTotalsDiffer: count
		})
	)
});
export type ReconOverview = z.infer<typeof overviewSchema>;
