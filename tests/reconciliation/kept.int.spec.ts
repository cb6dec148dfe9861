/**
 * Kept results of settled windows (kept.ts, migration 401): served without the page query while the
 * window's points are unchanged, recomputed when a point is added or deleted or the rule is edited,
 * never kept for an open window, and always the figures the live query gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, sql, type Db } from '../../src/lib/server/db';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import type { ReconRule } from '../../src/lib/server/flows/schema';
import { definitionHash, keepSettled, keptStateCounts, keptStats, pointsFingerprint } from '../../src/lib/server/reconciliation/kept';
import { stateCounts, type StateCount } from '../../src/lib/server/reconciliation/queries';
import { ruleResult } from '../../src/lib/server/reconciliation/results';
import { testDb, type TestDb } from '../helpers/db';

const DAY = 86_400_000;
const H = 3_600_000;
const M = 60_000;
const FLOW = 'kept-orders';
const flow = parseCatalogue(`
flows:
  - id: ${FLOW}
    name: Kept results (test)
    businessOwner: Sales ops
    technicalOwner: Integration team
    steps:
      - { id: crm.submit-order, name: CRM, system: crm }
      - { id: erp.create-sales-order, name: ERP, system: erp }
      - { id: wms.allocate, name: WMS, system: wms, optional: true }
    reconciliation:
      - id: orders
        name: CRM orders reach the ERP
        source: { step: crm.submit-order, system: crm }
        targets:
          - { step: erp.create-sales-order, system: erp, grace: 30m }
          - { step: wms.allocate, system: wms, grace: 1h, required: false }
        compare: [amount]`).flows[0];
const rule = flow.reconciliation[0];

/** Yesterday (UTC), seen at noon today: settled (grace 1 h at most). */
const today = Math.floor(Date.now() / DAY) * DAY;
const day = { from: new Date(today - DAY), to: new Date(today), now: new Date(today + 12 * H) };

let seq = 0;
async function point(db: Db, step: string, key: string, at: number, amount = 100) {
	seq++;
	await db.exec(sql`
		INSERT INTO recon_points (Flow, KeyName, Step, Outcome, Timestamp, KeyValue, PointId, TraceId, Signal, Amount, Currency)
		VALUES (${{ String: FLOW }}, 'correlation_id', ${{ String: step }}, 'success', ${{ 'DateTime64(3)': new Date(at) }}, ${{ String: key }},
			${{ UInt64: String(1000 + seq) }}, 'trace', 'span', ${{ Float64: amount }}, 'USD')`);
}

const erp = (r: Awaited<ReturnType<typeof ruleResult>>) => r.targets[0].figures;
/** The newest computation kept (rows of one key replace each other in merges: their count says nothing). */
const lastKept = async (db: Db) => (await db.query<{ at: string }>(sql`SELECT toString(max(ComputedAt)) AS at FROM recon_results`))[0].at;

describe('kept results of settled windows', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
		const base = day.from.getTime() + 2 * H;
		for (let i = 0; i < 6; i++) {
			await point(t.db, 'crm.submit-order', `SO-${i}`, base + i * M);
			// SO-4 never reaches the ERP, SO-5 arrives with another amount
			if (i !== 4) await point(t.db, 'erp.create-sales-order', `SO-${i}`, base + i * M + M, i === 5 ? 120 : 100);
		}
	}, 60_000);
	afterAll(async () => t?.cleanup());

	it('computes a settled day once, then serves the kept rows: the same figures as the live query', async () => {
		const c0 = keptStats.computed;
		const first = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		const served = keptStats.served;
		const second = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		expect(keptStats.served).toBe(served + 1);
		expect(second).toEqual(first);
		expect(erp(first)).toMatchObject({ matched: 4, missing: 1, mismatched: 1, pending: 0 });
		const order = (xs: StateCount[]) => [...xs].sort((a, b) => a.target - b.target || a.bucket - b.bucket || a.state.localeCompare(b.state));
		const live = order(await stateCounts(FLOW, rule, day, 3600, t.db));
		expect(live.length).toBeGreaterThan(0);
		expect(order(await keptStateCounts(FLOW, rule, day, 3600, t.db))).toEqual(live);
		expect(keptStats.computed).toBe(c0 + 1);
	});

	it('a new point in the window invalidates the kept result: the figure changes', async () => {
		const c0 = keptStats.computed;
		await point(t.db, 'erp.create-sales-order', 'SO-4', day.from.getTime() + 2 * H + 10 * M);
		const r = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		expect(erp(r)).toMatchObject({ matched: 5, missing: 0, mismatched: 1 });
		await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
	});

	it('a point after the window but within grace counts too (the read range reaches past the window)', async () => {
		const c0 = keptStats.computed;
		await point(t.db, 'crm.submit-order', 'SO-LATE', day.to.getTime() - M);
		await point(t.db, 'erp.create-sales-order', 'SO-LATE', day.to.getTime() + 10 * M);
		const r = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		expect(erp(r)).toMatchObject({ matched: 6, missing: 0 });
	});

	it('a lightweight delete invalidates it, and so does a day written again (the re-interpret job)', async () => {
		const c0 = keptStats.computed;
		await t.db.exec(sql`DELETE FROM recon_points WHERE Flow = ${{ String: FLOW }} AND KeyValue = 'SO-5' AND Step = 'erp.create-sales-order'`);
		let r = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		expect(erp(r)).toMatchObject({ matched: 6, missing: 1, mismatched: 0 });
		// the same rows dropped and inserted again: same count, newer blocks
		const before = await pointsFingerprint(FLOW, rule, day, t.db);
		// a partition id is a literal in ALTER (digits only here), as reinterpret-store.ts writes it
		const partition = day.from.toISOString().slice(0, 10).replaceAll('-', '');
		await t.db.exec(sql`CREATE TABLE recon_points_copy AS recon_points`);
		await t.db.exec(sql`INSERT INTO recon_points_copy SELECT * FROM recon_points`);
		await t.db.exec(sql`ALTER TABLE recon_points DROP PARTITION ID ${raw(`'${partition}'`)}`);
		await t.db.exec(sql`INSERT INTO recon_points SELECT * FROM recon_points_copy WHERE toDate(Timestamp) = ${{ Date: day.from.toISOString().slice(0, 10) }}`);
		await t.db.exec(sql`DROP TABLE recon_points_copy`);
		expect(await pointsFingerprint(FLOW, rule, day, t.db)).not.toBe(before);
		r = await ruleResult(FLOW, rule, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 2);
		expect(erp(r)).toMatchObject({ matched: 6, missing: 1, mismatched: 0 });
	});

	it('an edited rule does not read the old result; a renamed one does', async () => {
		const c0 = keptStats.computed;
		const tolerant: ReconRule = { ...rule, tolerance: 50 };
		const r = await ruleResult(FLOW, tolerant, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		expect(r.targets[0].figures.mismatched).toBe(0);
		await ruleResult(FLOW, { ...rule, name: 'Another name' }, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 1);
		const shorter: ReconRule = { ...rule, targets: [{ ...rule.targets[0], grace: 20 * M }, rule.targets[1]] };
		await ruleResult(FLOW, shorter, day, 3600, t.db);
		expect(keptStats.computed).toBe(c0 + 2);
		const noFields: ReconRule = { ...rule, compare: [] };
		expect(erp(await ruleResult(FLOW, noFields, day, 3600, t.db))).toMatchObject({ matched: 6, mismatched: 0 });
		expect(keptStats.computed).toBe(c0 + 3);
	});

	it('never keeps an open window (now inside the grace period, or the current day)', async () => {
		const last = await lastKept(t.db);
		const c0 = keptStats.computed;
		const inGrace = { ...day, now: new Date(day.to.getTime() + 59 * M) };
		await ruleResult(FLOW, rule, inGrace, 3600, t.db);
		await ruleResult(FLOW, rule, { from: new Date(today), to: new Date(today + DAY), now: new Date(today + 12 * H) }, 3600, t.db);
		expect(keptStats.computed).toBe(c0);
		expect(await lastKept(t.db)).toBe(last);
	});

	it('the background fold keeps recent settled days and hours, and then computes nothing new', async () => {
		const now = new Date(today + 90 * M);
		const computed = await keepSettled([flow], now, t.db);
		expect(computed).toBeGreaterThan(0);
		// yesterday (settled at 01:00) is among them: the page is then served kept
		const c0 = keptStats.computed;
		await ruleResult(FLOW, rule, { ...day, now }, 3600, t.db);
		const [h] = await t.db.query<{ days: number; hours: number }>(sql`
			SELECT countIf(BucketSeconds = 3600) AS days, countIf(BucketSeconds = 300) AS hours
			FROM (SELECT DISTINCT WindowFrom, BucketSeconds FROM recon_results WHERE DefinitionHash = ${{ String: definitionHash(FLOW, rule) }})`);
		expect(Number(h.days)).toBe(2);
		expect(Number(h.hours)).toBe(6);
		expect(keptStats.computed).toBe(c0);
		expect(await keepSettled([flow], now, t.db)).toBe(0);
	});
});
