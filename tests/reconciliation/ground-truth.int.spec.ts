/**
 * Reconciliation figures equal the seeded ground truth, exactly: spans and control totals emitted by
 * the OpenTelemetry SDK, sent through the real collector into chDB, read by the queries the page,
 * the API, the tile and the alerts use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { setCatalogue } from '../../src/lib/server/flows/catalogue';
import { evaluateReconciliation } from '../../src/lib/server/alerts/rules';
import { evaluateAll } from '../../src/lib/server/alerts/engine';
import { keyRows, overview, ruleResult } from '../../src/lib/server/reconciliation/results';
import type { RuleResult } from '../../src/lib/server/reconciliation/schemas';
import { testDb, type TestDb } from '../helpers/db';
import { Sender } from '../sla/send';
import { emitScenario, FLOW, reconCatalogue } from './scenario';

const flow = reconCatalogue.flows[0];
const rule = flow.reconciliation[0];

describe('reconciliation equals the seeded ground truth', () => {
	let t: TestDb;
	let e: ReturnType<typeof emitScenario>;
	let r: RuleResult;
	beforeAll(async () => {
		t = await testDb();
		setCatalogue(reconCatalogue);
		e = emitScenario();
		const send = await Sender.start(t.config, t.db);
		await send.spans(e.spans);
		await send.spans(e.resent);
		await send.logs(e.logs);
		await send.close();
		r = await ruleResult(FLOW, rule, e.window, 3600, t.db);
	}, 60_000);
	afterAll(async () => t?.cleanup());

	it('stores the re-sent span twice (so the figures below prove it counts once)', async () => {
		const [x] = await t.db.query<{ rows: number; spans: number }>(sql`SELECT count() AS rows, uniqExact(TraceId, SpanId) AS spans FROM otel_traces`);
		expect(x.rows).toBe(e.spans.length + 1);
		expect(x.spans).toBe(e.spans.length);
	});

	it('counts source keys and every figure per target exactly', () => {
		expect(r.sourceKeys).toBe(e.truth.sourceKeys);
		for (const t of r.targets) {
			const truth = e.truth.targets[t.system];
			expect(t.figures, t.system).toEqual(truth.figures);
			expect(t.late, `${t.system} late`).toBe(truth.late);
		}
		expect(r.targets.map((t) => t.system)).toEqual(['erp', 'erp-new', 'wms']);
	});

	it('the trend adds up to the figures', () => {
		expect(r.trend).toHaveLength(6);
		expect(r.trend.reduce((n, b) => n + b.sourceKeys, 0)).toBe(e.truth.sourceKeys);
		for (const t of r.targets) {
			for (const s of Object.keys(t.figures) as (keyof typeof t.figures)[]) {
				expect(r.trend.reduce((n, b) => n + b.targets[t.system][s], 0), `${t.system} ${s}`).toBe(t.figures[s]);
			}
		}
	});

	it('lists the keys behind every figure, with the exception where there is one', async () => {
		for (const [system, truth] of Object.entries(e.truth.targets)) {
			for (const [state, keys] of Object.entries(truth.keys)) {
				const rows = await keyRows(FLOW, rule, e.window, system, state as 'missing', 500, t.db);
				expect(rows!.map((k) => k.key).sort(), `${system} ${state}`).toEqual([...keys].sort());
			}
		}
		const missing = await keyRows(FLOW, rule, e.window, 'erp', 'missing', 500, t.db);
		expect(missing!.find((k) => k.key === 'K-FAIL')!.exceptionId).toMatch(/^[0-9a-f]{32}$/);
		expect(missing!.find((k) => k.key === 'K-MISS1')!.exceptionId).toBeNull();
		const [dup] = (await keyRows(FLOW, rule, e.window, 'erp', 'duplicated', 500, t.db))!;
		expect(dup.arrivals).toBe(2);
		const mis = await keyRows(FLOW, rule, e.window, 'erp', 'mismatched', 500, t.db);
		expect(Object.fromEntries(mis!.map((k) => [k.key, k.differs]))).toEqual({ 'K-MIS': ['amount'], 'K-MIS2': ['currency'] });
		expect(mis!.find((k) => k.key === 'K-MIS')!.targetFields.amount).toBe('110');
		const matched = await keyRows(FLOW, rule, e.window, 'erp', 'matched', 500, t.db);
		expect(matched!.filter((k) => k.late).map((k) => k.key)).toEqual(['K-LATE-OUT']);
		expect(matched!.find((k) => k.key === 'K-M1')!.arrivals).toBe(1);
		expect(await keyRows(FLOW, rule, e.window, 'no-such-system', 'missing', 10, t.db)).toBeNull();
	});

	it('sets control totals beside what telemetry saw: the latest report wins, a malformed one is ignored', () => {
		expect(r.controlTotals.map((c) => c.system).sort()).toEqual(Object.keys(e.truth.control).sort());
		for (const c of r.controlTotals) {
			const truth = e.truth.control[c.system];
			expect(c.reported.count, c.system).toBe(truth.reported);
			expect(c.seen.count, c.system).toBe(truth.seen);
			expect(c.seen.sums.amount, c.system).toBeCloseTo(truth.seenAmount, 6);
			expect(c.difference.count).toBe(truth.reported - truth.seen);
			expect(c.agrees, c.system).toBe(truth.agrees);
		}
		expect(r.controlTotals.find((c) => c.system === 'erp-new')!.difference.sums.amount).toBeCloseTo(75, 6);
	});

	it('the overview tile and the alert rules read the same figures', async () => {
		const o = await overview(reconCatalogue.flows, e.window, t.db);
		expect(o.flows).toEqual([
			{ flow: FLOW, name: flow.name, rules: 1, targets: 3, sourceKeys: 20, matched: 38, missing: 3, pending: 1, duplicated: 1, mismatched: 2, unexpected: 1, controlTotalsDiffer: 1 }
		]);
		const ev = evaluateReconciliation(flow, [r]);
		expect(ev.map((x) => [x.rule, x.firing, x.value])).toEqual([
			['recon-missing:orders', true, 3],
			['recon-control-total:orders', true, 1]
		]);
	});

	it('the alert engine evaluates both reconciliation rules over the last 24 hours', async () => {
		const ev = (await evaluateAll(e.window.now, t.db)).filter((x) => x.kind.startsWith('recon-'));
		expect(ev.map((x) => [x.rule, x.kind, x.flow, x.firing, x.value])).toEqual([
			['recon-missing:orders', 'recon-missing', FLOW, true, 3],
			['recon-control-total:orders', 'recon-control-total', FLOW, true, 1]
		]);
	});

	it('once the grace period has passed, pending keys are missing', async () => {
		const later = await ruleResult(FLOW, rule, { ...e.window, now: new Date(e.window.now.getTime() + 31 * 60_000) }, 3600, t.db);
		expect(later.targets[0].figures).toEqual({ ...e.truth.targets.erp.figures, pending: 0, missing: 4 });
	});
});
