/**
 * The DDSketch bins of migration 350 merged in memory give exactly ClickHouse's quantilesDD: for
 * values spanning sub-millisecond to days, zeros and negatives (an event time after it was seen), in
 * one sketch and merged from several.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, sql } from '../../src/lib/server/db';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/lib/server/db/migrate';
import { addBins, binKey, binsOf, quantiles } from '../../src/lib/server/sla/sketch';
import { testDb, type TestDb } from '../helpers/db';

describe('in-memory DDSketch', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
	});
	afterAll(async () => t?.cleanup());

	const LEVELS = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

	async function compare(values: string) {
		// groups of the values, each a stored sketch: merged here and by quantilesDDMerge
		const rows = await t.db.query<{ k: number[]; c: number[]; q: number[] }>(sql`
			SELECT mapKeys(b) AS k, mapValues(b) AS c, q FROM (
				SELECT ${binsOf('x', '1')} AS b, 0 AS g, [] AS q FROM (${sqlValues(values)}) GROUP BY g % 1
				UNION ALL
				SELECT map(), 1, quantilesDD(0.01, ${raw(LEVELS.join(", "))})(x) FROM (${sqlValues(values)})
			) ORDER BY g`);
		const parts = await t.db.query<{ k: number[]; c: number[] }>(sql`
			SELECT mapKeys(b) AS k, mapValues(b) AS c FROM (SELECT i % 7 AS g, ${binsOf('x', '1')} AS b FROM (${sqlValues(values)}) GROUP BY g)`);
		const expected = rows[1].q;
		const one = new Map<number, number>();
		addBins(one, { k: rows[0].k, c: rows[0].c.map(Number) });
		const merged = new Map<number, number>();
		for (const p of parts) addBins(merged, { k: p.k, c: p.c.map(Number) });
		// the same bins, hence the same values up to the last bit of exp() (V8's and the C library's)
		const same = (got: number[]) => got.every((v, i) => Math.abs(v - expected[i]) <= 1e-12 * Math.abs(expected[i]));
		expect(quantiles(one, LEVELS), `${quantiles(one, LEVELS)} vs ${expected}`).toSatisfy(same);
		expect(quantiles(merged, LEVELS), `${quantiles(merged, LEVELS)} vs ${expected}`).toSatisfy(same);
		// and a value off by one bin would not pass
		expect(quantiles(new Map([...one].map(([k, c]) => [k + 1, c])), LEVELS)).not.toSatisfy(same);
	}

	it('equals quantilesDD on positive values over nine decades', async () => {
		await compare('exp(randCanonical() * 21 - 7)');
	});
	it('equals quantilesDD with zeros and negative values', async () => {
		await compare('if(number % 5 = 0, 0, if(number % 3 = 0, -1, 1) * exp(randCanonical() * 12))');
	});
	it('equals quantilesDD on whole milliseconds, as end-to-end times are', async () => {
		await compare('toFloat64(number % 977 * 13)');
	});
	it('is what migration 360 bins step durations with', () => {
		const text = readFileSync(join(MIGRATIONS_DIR, '360_sla_step_bins.sql'), 'utf8');
		expect(text.split(`sumMapState([toInt32(${binKey('Duration / 1e6')})]`).length).toBe(3);
	});

	it('is empty without values', () => {
		expect(quantiles(new Map(), [0.5]).every(Number.isNaN)).toBe(true);
	});
});

function sqlValues(expr: string) {
	// a fixed table of 20,000 values (seeded: the same in both reads)
	return raw(`SELECT number AS i, ${expr.replaceAll('randCanonical()', '(sipHash64(number) % 1000003 / 1000003)')} AS x FROM numbers(20000)`);
}
