/**
 * DDSketch histograms a console merges in memory (live.ts), bin for bin the sketch of ClickHouse's
 * quantilesDD(0.01, …): a quantile computed here from merged bins equals quantilesDDMerge of the
 * states built from the same values (tests/sla/sketch.int.spec.ts compares them on ClickHouse).
 *
 * Bins are keyed as migration 350 stores them (Map(Int32, UInt32)): key = trunc(ln(x) / ln(γ)) for
 * x > 0 (γ = (1 + α) / (1 − α), α = 0.01), NEGATIVE + the key of −x for x < 0, ZERO for 0.
 */
import { raw, type Sql } from '../db';

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const MULTIPLIER = 1 / Math.log(GAMMA);
/** ClickHouse's smallest indexable magnitude: the smallest normal double × γ */
const MIN_POSSIBLE = 2.2250738585072014e-308 * GAMMA;
const NEGATIVE = 1_000_000;
const ZERO = 2_000_000;

/** The bin key of `x` (a Float64 SQL expression), as ClickHouse's DDSketch computes it. */
export function binKey(x: string): string {
	const m = `(1 / log((1 + ${RELATIVE_ACCURACY}) / (1 - ${RELATIVE_ACCURACY})))`;
	const min = `(${MIN_POSSIBLE})`;
	return `multiIf(${x} > ${min}, toInt32(log(${x}) * ${m}), ${x} < -${min}, ${NEGATIVE} + toInt32(log(-(${x})) * ${m}), ${ZERO})`;
}

/** The bins of `x` where `cond` holds (an aggregate over rows), as stored. */
export function binsOf(x: string, cond: string): Sql {
	return raw(`CAST(sumMapIf([${binKey(x)}], [toUInt64(1)], ${cond}), 'Map(Int32, UInt32)')`);
}

/** Bins as stored and read: parallel arrays of keys and counts. */
export interface Bins {
	k: number[];
	c: number[];
}

/** Adds bins into an accumulator (key → count). */
export function addBins(acc: Map<number, number>, b: Bins | undefined): void {
	if (!b) return;
	for (let i = 0; i < b.k.length; i++) acc.set(b.k[i], (acc.get(b.k[i]) ?? 0) + b.c[i]);
}

const valueOf = (key: number) => Math.exp(key / MULTIPLIER) * (1 + RELATIVE_ACCURACY);

/**
 * Quantiles of merged bins, as ClickHouse's DDSketch answers them (rank q·(n − 1); negative values,
 * then zeros, then positive values); NaN for an empty sketch.
 */
export function quantiles(acc: Map<number, number>, qs: number[]): number[] {
	const pos: [number, number][] = [];
	const neg: [number, number][] = [];
	let zero = 0;
	for (const [k, c] of acc) {
		if (c === 0) continue;
		if (k === ZERO) zero += c;
		else if (k >= NEGATIVE - 100_000 && k < ZERO - 100_000) neg.push([k - NEGATIVE, c]);
		else pos.push([k, c]);
	}
	pos.sort((a, b) => a[0] - b[0]);
	neg.sort((a, b) => a[0] - b[0]);
	const negCount = neg.reduce((s, [, c]) => s + c, 0);
	const posCount = pos.reduce((s, [, c]) => s + c, 0);
	const count = negCount + zero + posCount;
	return qs.map((q) => {
		if (count === 0) return NaN;
		const rank = q * (count - 1);
		if (rank < negCount) return -valueOf(keyAtRank(neg, negCount - rank - 1, false));
		if (rank < zero + negCount) return 0;
		return valueOf(keyAtRank(pos, rank - zero - negCount, true));
	});
}

function keyAtRank(bins: [number, number][], rank: number, lower: boolean): number {
	let running = 0;
	for (const [k, c] of bins) {
		running += c;
		if ((lower && running > rank) || (!lower && running >= rank + 1)) return k;
	}
	return bins[bins.length - 1][0];
}
