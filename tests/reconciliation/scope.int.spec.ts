/**
 * recon_points keeps only the points reconciliation rules read (migration 402, reconciliation/scope.ts):
 * a span of a step no rule names, or under a key no rule matches on, is not copied; a rule added later
 * finds the telemetry stored before it (backfill), and figures count a point kept twice once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { parseCatalogue, setCatalogue } from '../../src/lib/server/flows/catalogue';
import { keepReconPoints } from '../../src/lib/server/flows/versions';
import { ruleResult } from '../../src/lib/server/reconciliation/results';
import { scopeOf } from '../../src/lib/server/reconciliation/scope';
import { testDb, type TestDb } from '../helpers/db';

const DAY = 86_400_000;
const day = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;

const catalogue = (rules: string) =>
	parseCatalogue(`
flows:
  - id: scoped
    name: Scoped
    businessOwner: Ops
    technicalOwner: Integration team
    steps:
      - { id: crm.submit, name: CRM, system: crm }
      - { id: mw.validate, name: Validate, system: middleware }
      - { id: erp.create, name: ERP, system: erp }
      - { id: wms.allocate, name: WMS, system: wms }
    reconciliation:
${rules}`);

const toErp = `
      - id: to-erp
        name: CRM orders reach the ERP
        source: { step: crm.submit, system: crm }
        targets:
          - { step: erp.create, system: erp, grace: 10m }`;
const toWms = `
      - id: to-wms
        name: CRM orders reach the WMS
        key: message_id
        source: { step: crm.submit, system: crm }
        targets:
          - { step: wms.allocate, system: wms, grace: 10m }`;

let n = 0;
const span = (step: string, order: number, at: number) => ({
	Timestamp: (BigInt(at) * 1_000_000n).toString(),
	TraceId: (++n).toString(16).padStart(32, '0'),
	SpanId: n.toString(16).padStart(16, '0'),
	SpanName: step,
	ServiceName: 'mw',
	StatusCode: 'Ok',
	SpanAttributes: { 'integration.flow': 'scoped', 'integration.step': step, 'integration.correlation_id': `SO-${order}`, 'integration.message_id': `M-${order}` }
});

describe('recon_points keeps what the rules read', () => {
	let t: TestDb;
	const window = { from: new Date(day), to: new Date(day + DAY), now: new Date() };
	beforeAll(async () => {
		t = await testDb();
		setCatalogue(catalogue(toErp));
		await (await keepReconPoints(catalogue(toErp), t.db));
		// three orders: all left the CRM and were validated; two reached the ERP, all three the WMS
		const rows = [1, 2, 3].flatMap((o) => [span('crm.submit', o, day + o * 60_000), span('mw.validate', o, day + o * 60_000 + 1000), span('wms.allocate', o, day + o * 60_000 + 3000)]);
		rows.push(span('erp.create', 1, day + 62_000), span('erp.create', 2, day + 122_000));
		await t.db.insertRows('otel_traces', rows);
	}, 60_000);
	afterAll(async () => t?.cleanup());

	it('the scope is the rules’ points', () => {
		expect(scopeOf(catalogue(toErp + toWms)).map((p) => `${p.step}/${p.keyName}`)).toEqual(['crm.submit/correlation_id', 'erp.create/correlation_id', 'crm.submit/message_id', 'wms.allocate/message_id']);
	});

	it('copies only the steps and key names a rule reads', async () => {
		const rows = await t.db.query<{ Step: string; KeyName: string; n: number }>(sql`SELECT Step, KeyName, count() AS n FROM recon_points GROUP BY Step, KeyName ORDER BY Step, KeyName`);
		expect(rows.map((r) => [r.Step, r.KeyName, Number(r.n)])).toEqual([
			['crm.submit', 'correlation_id', 3],
			['erp.create', 'correlation_id', 2]
		]);
		const r = await ruleResult('scoped', catalogue(toErp).flows[0].reconciliation[0], window, 3600, t.db);
		expect(r.targets[0].figures).toMatchObject({ matched: 2, missing: 1 });
	});

	it('a rule added later reconciles what was stored before it (backfill), each point once', async () => {
		const next = catalogue(toErp + toWms);
		setCatalogue(next);
		await (await keepReconPoints(next, t.db));
		const [w] = await t.db.query<{ n: number; points: number }>(sql`SELECT count() AS n, uniqExact(PointId) AS points FROM recon_points WHERE KeyName = 'message_id'`);
		expect(Number(w.n)).toBe(6);
		expect(Number(w.points)).toBe(6);
		const r = await ruleResult('scoped', next.flows[0].reconciliation[1], window, 3600, t.db);
		expect(r.targets[0].figures).toMatchObject({ matched: 3, missing: 0, duplicated: 0 });
		// the existing rule's points were not copied again
		const [c] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM recon_points WHERE KeyName = 'correlation_id'`);
		expect(Number(c.n)).toBe(5);
		// a second sync adds nothing
		await (await keepReconPoints(next, t.db));
		const [again] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM recon_points`);
		expect(Number(again.n)).toBe(11);
	});
});
