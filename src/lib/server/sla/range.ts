/**
 * The time range of a dashboard, from the URL: ?range=1h|24h|7d|30d, or ?range=custom&from=&to=
 * (ISO). Also the previous period of the same length (for comparisons) and a bucket size that
 * gives a readable series.
 */
import { z } from 'zod';

export const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Preset = keyof typeof PRESETS;

export interface TimeRange {
	range: Preset | 'custom';
	from: Date;
	to: Date;
	previous: { from: Date; to: Date };
	/** series bucket for overview sparklines and flow charts */
	bucketSeconds: number;
}

/** ISO with offset, or a datetime-local value (no offset), read as UTC */
const iso = z.iso.datetime({ offset: true, local: true }).transform((s) => new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`));
const paramsSchema = z.object({
	range: z.enum(['1h', '24h', '7d', '30d', 'custom']).catch('24h'),
	from: iso.optional().catch(undefined),
	to: iso.optional().catch(undefined)
});

/** Bucket sizes the rollups serve (minute multiples; whole hours read the hour tables). */
const BUCKETS = [60, 300, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];
/** At most this many buckets in a series: bars stay bars (no per-minute "barcode" over a day). */
export const MAX_BUCKETS = 120;

/** The smallest bucket that gives at most MAX_BUCKETS: 1 h → 1 min, 24 h → 15 min, 7 d → 2 h, 30 d → 6 h. */
export function bucketFor(spanMs: number): number {
	return BUCKETS.find((b) => spanMs / (b * 1000) <= MAX_BUCKETS) ?? BUCKETS[BUCKETS.length - 1];
}

export function parseRange(params: URLSearchParams, now = new Date()): TimeRange {
	const p = paramsSchema.parse(Object.fromEntries(params));
	let from: Date;
	let to: Date;
	if (p.range === 'custom' && p.from && p.to && p.from < p.to) {
		from = p.from;
		to = p.to.getTime() - p.from.getTime() > 31 * 86_400_000 ? new Date(p.from.getTime() + 31 * 86_400_000) : p.to;
	} else {
		const len = PRESETS[p.range === 'custom' ? '24h' : p.range];
		to = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
		from = new Date(to.getTime() - len);
	}
	const len = to.getTime() - from.getTime();
	return {
		range: p.range === 'custom' && p.from && p.to ? 'custom' : p.range === 'custom' ? '24h' : p.range,
		from,
		to,
		previous: { from: new Date(from.getTime() - len), to: from },
		bucketSeconds: bucketFor(len)
	};
}
