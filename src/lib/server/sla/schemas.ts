/**
 * Zod schemas at the SLA edges: the KPI query parameters and the KPI document the API returns
 * (also the source of the OpenAPI fragment, openapi/flows.ts).
 */
import { z } from 'zod';

const quantile = z.number().nonnegative().nullable();

export const flowKpisSchema = z.object({
	flow: z.string(),
	/** distinct correlation IDs of the flow whose first span started in the window */
	total: z.number().int().nonnegative(),
	/** last outcome success (or never failed); a failure later retried or replayed successfully counts here */
	succeeded: z.number().int().nonnegative(),
	/** last outcome failed or rejected */
	failed: z.number().int().nonnegative(),
	/** submissions blocked as duplicates (integration.outcome=duplicate), distinct spans */
	duplicates: z.number().int().nonnegative(),
	/** dead-letter log records (event integration.dead_letter) in the window */
	deadLetters: z.number().int().nonnegative(),
	/** transactions with a retry or replay: integration.attempt > 1, replay-marked spans, or a failure followed by success */
	replays: z.number().int().nonnegative(),
	successRate: z.number().min(0).max(1).nullable(),
	e2eMs: z.object({ p50: quantile, p95: quantile, p99: quantile }),
	milestones: z.record(z.string(), z.object({ n: z.number().int(), pending: z.number().int(), p50: quantile, p95: quantile })),
	eventDelayMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
	/** sum of integration.amount of transactions failed or stuck past their SLA, as reported (across currencies) */
	valueAtRisk: z.number(),
	/** the same per integration.currency ('' for transactions that name none) */
	valueAtRiskByCurrency: z.record(z.string(), z.number())
});
export type FlowKpis = z.infer<typeof flowKpisSchema>;

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** ?from=&to= (ISO 8601); to defaults to now, from to 24 hours before to. */
export const kpiQuerySchema = z
	.object({ from: isoDate.optional(), to: isoDate.optional() })
	.transform(({ from, to }) => {
		const end = to ?? new Date();
		return { from: from ?? new Date(end.getTime() - 86_400_000), to: end };
	})
	.refine((r) => r.from < r.to, { message: 'from must be before to' })
	.refine((r) => r.to.getTime() - r.from.getTime() <= 31 * 86_400_000, { message: 'the window may span at most 31 days' });

export const flowSummarySchema = z.object({
	id: z.string(),
	name: z.string(),
	description: z.string(),
	businessOwner: z.string(),
	technicalOwner: z.string(),
	steps: z.array(z.object({ id: z.string(), name: z.string(), system: z.string(), withinMs: z.number().nullable(), optional: z.boolean() })),
	objectives: z.record(z.string(), z.unknown())
});
