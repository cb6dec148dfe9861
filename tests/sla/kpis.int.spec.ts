import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { failureBreakdowns, fromRiskRows, riskFigures } from '../../src/lib/server/sla/breakdowns';
import { flowKpis } from '../../src/lib/server/sla/flow-kpis';
import { overview } from '../../src/lib/server/sla/overview';
import { QUANTILE_RELATIVE_ACCURACY, txFigures, txFiguresCompared } from '../../src/lib/server/sla/kpis';
import type { FlowKpis } from '../../src/lib/server/sla/schemas';
import { testDb, type TestDb } from '../helpers/db';
import { Sender } from './send';
import { emitScenario, FLOW, quantileBounds, testCatalogue, type Emitted } from './scenario';

const flow = testCatalogue.flows.find((f) => f.id === FLOW)!;

describe('flow KPIs equal the seeded ground truth', () => {
	let t: TestDb;
	let e: Emitted;
	let k: FlowKpis;
	beforeAll(async () => {
		t = await testDb();
		e = emitScenario();
		const send = await Sender.start(t.config, t.db);
		await send.spans(e.spans);
		await send.spans(e.resent); // a client re-sends a batch: every span counted once
		await send.logs(e.logs);
		await send.close();
		k = await flowKpis(flow, e.window, t.db);
	});
	afterAll(async () => t?.cleanup());

	it('stores the re-sent spans twice (so the next assertions prove they count once)', async () => {
		const [r] = await t.db.query<{ rows: number; spans: number }>(sql`SELECT count() AS rows, uniqExact(TraceId, SpanId) AS spans FROM otel_traces`);
		expect(r.spans).toBe(e.spans.length);
		expect(r.rows).toBe(e.spans.length + e.resent.length);
	});

	it('counts transactions, not spans', () => {
		expect({ total: k.total, succeeded: k.succeeded, failed: k.failed, duplicates: k.duplicates, replays: k.replays, deadLetters: k.deadLetters }).toEqual({
			total: e.truth.total,
			succeeded: e.truth.succeeded,
			failed: e.truth.failed,
			duplicates: e.truth.duplicates,
			replays: e.truth.replays,
			deadLetters: e.truth.deadLetters
		});
		expect(k.successRate).toBeCloseTo(e.truth.succeeded / e.truth.total, 12);
		expect(k.valueAtRisk).toBe(e.truth.valueAtRisk);
		expect(k.valueAtRiskByCurrency).toEqual(e.truth.valueAtRiskByCurrency);
		expect(Object.keys(k.valueAtRiskByCurrency).sort()).toEqual(['', 'CAD', 'USD']);
	});

	it('end-to-end quantiles are within the documented error of quantilesDD', () => {
		for (const [q, v] of [[0.5, k.e2eMs.p50], [0.95, k.e2eMs.p95], [0.99, k.e2eMs.p99]] as const) {
			const [lo, hi] = quantileBounds(e.truth.e2eMs, q, QUANTILE_RELATIVE_ACCURACY);
			expect(v, `p${q * 100}`).toBeGreaterThanOrEqual(lo);
			expect(v, `p${q * 100}`).toBeLessThanOrEqual(hi);
		}
	});

	it('event delay and milestones match the truth', () => {
		for (const [q, v] of [[0.5, k.eventDelayMs.p50], [0.95, k.eventDelayMs.p95]] as const) {
			const [lo, hi] = quantileBounds(e.truth.eventDelayMs, q, QUANTILE_RELATIVE_ACCURACY);
			expect(v).toBeGreaterThanOrEqual(lo);
			expect(v).toBeLessThanOrEqual(hi);
		}
		const m = k.milestones['supplier-ack'];
		expect({ n: m.n, pending: m.pending }).toEqual({ n: e.truth.ack.latencies.length, pending: e.truth.ack.pending });
		const [lo, hi] = quantileBounds(e.truth.ack.latencies, 0.95, QUANTILE_RELATIVE_ACCURACY);
		expect(m.p95).toBeGreaterThanOrEqual(lo);
		expect(m.p95).toBeLessThanOrEqual(hi);
	});

	it('the overview tile and its sparkline agree with the truth', async () => {
		const { from, to, now } = e.window;
		const range = { range: 'custom' as const, from, to, previous: { from: new Date(2 * from.getTime() - to.getTime()), to: from }, bucketSeconds: 60 };
		const tile = (await overview([flow], range, now, t.db))[0];
		expect({ total: tile.now.total, failed: tile.now.failed, valueAtRisk: tile.now.valueAtRisk }).toEqual({ total: e.truth.total, failed: e.truth.failed, valueAtRisk: e.truth.valueAtRisk });
		expect(tile.now.deadLetters).toBe(e.truth.deadLetters);
		// one point per minute of the window, zero where nothing started; they add up to the totals
		expect(tile.series.length).toBeGreaterThanOrEqual((to.getTime() - from.getTime()) / 60_000);
		expect(tile.series.reduce((n, [, total]) => n + total, 0)).toBe(e.truth.total);
		expect(tile.series.reduce((n, [, , failed]) => n + failed, 0)).toBe(e.truth.failed);
		// the bucket the 24 h range uses (15 min): the same totals, every bucket on a 15-minute boundary
		const coarse = (await overview([flow], { ...range, bucketSeconds: 900 }, now, t.db))[0];
		expect(coarse.series.every(([t]) => Date.parse(t) % 900_000 === 0)).toBe(true);
		expect(coarse.series.reduce((n, [, total]) => n + total, 0)).toBe(e.truth.total);
		expect(coarse.series.reduce((n, [, , failed]) => n + failed, 0)).toBe(e.truth.failed);
		// nothing in the previous period: no comparison; the status names the objectives behind it
		expect(tile.compare.comparable).toBe(false);
		expect(tile.drivers.every((c) => c.rag === tile.rag)).toBe(true);
		if (tile.rag === 'red' || tile.rag === 'amber') expect(tile.drivers.length).toBeGreaterThan(0);
	});

	it('breaks failures down by step, system, partner and error code', async () => {
		const b = await failureBreakdowns(flow, e.window, t.db);
		const pick = (xs: { key: string; failed: number }[]) => Object.fromEntries(xs.map((x) => [x.key, x.failed]));
		expect(pick(b.errorCode)).toEqual({ 'E-CREDIT': 3, 'E-TAX': 2, 'E-CRM': 1 });
		expect(pick(b.step)).toEqual({ 'erp.create-sales-order': 5, 'crm.update-status': 1 });
		expect(pick(b.system)).toEqual({ erp: 5, crm: 1 });
		expect(pick(b.partner)).toEqual({ acme: 3, globex: 2, '(none)': 1 });
		// value per currency, never added across them: SO-F0/F2/F4 in USD, SO-F1/F3 in CAD
		expect(b.step.find((x) => x.key === 'erp.create-sales-order')!.amounts).toEqual({ USD: 100 + 300 + 500, CAD: 200 + 400 });
	});

	it('lists the transactions behind value at risk, for lineage links', async () => {
		const { atRisk } = await riskFigures(flow, e.window, 100, t.db);
		expect(atRisk.reduce((s, r) => s + r.amount, 0)).toBe(e.truth.valueAtRisk);
		expect(atRisk[0]).toMatchObject({ correlationId: 'SO-S1', amount: 700, stuck: true });
		expect(atRisk.filter((r) => r.stuck).map((r) => r.correlationId).sort()).toEqual(['SO-S0', 'SO-S1']);
		expect((await riskFigures(flow, e.window, 3, t.db)).atRisk).toHaveLength(3);
	});

	it('figures with the previous period in one pass equal separate queries; series add up', async () => {
		const len = e.window.to.getTime() - e.window.from.getTime();
		const prevW = { from: new Date(e.window.from.getTime() - len), to: e.window.from, now: e.window.now };
		const both = await txFiguresCompared([flow], e.window, prevW, 600, t.db);
		const cur = both.current.get(FLOW)!;
		expect(cur.totals).toEqual((await txFigures([flow], e.window, 0, t.db)).get(FLOW)!.totals);
		expect(both.previous.get(FLOW)!.totals).toEqual((await txFigures([flow], prevW, 0, t.db)).get(FLOW)!.totals);
		expect(both.previous.get(FLOW)!.totals).toMatchObject({ total: 2, failed: 1 }); // SO-EARLY (failed later), SO-EARLYPO
		expect(cur.series.reduce((s, b) => s + b.total, 0)).toBe(e.truth.total);
		expect(cur.series.reduce((s, b) => s + b.failed, 0)).toBe(e.truth.failed);
		expect(cur.series.every((b) => Date.parse(b.t) >= e.window.from.getTime() - 600_000)).toBe(true);
	});

	it('the overview sparkline and the flow page drill-down (same pass as the KPIs) equal the full queries', async () => {
		const len = e.window.to.getTime() - e.window.from.getTime();
		const prevW = { from: new Date(e.window.from.getTime() - len), to: e.window.from, now: e.window.now };
		const full = await txFiguresCompared([flow], e.window, prevW, 600, t.db);
		const counts = await txFiguresCompared([flow], e.window, prevW, 600, t.db, 'counts');
		expect(counts.current.get(FLOW)!.totals).toEqual(full.current.get(FLOW)!.totals);
		expect(counts.previous.get(FLOW)!.totals).toEqual(full.previous.get(FLOW)!.totals);
		const byBucket = (s: { t: string; total: number; failed: number }[]) => s.filter((b) => b.total > 0).map((b) => [b.t, b.total, b.failed]);
		const spark = counts.current.get(FLOW)!.spark!;
		const sparkBuckets = spark.totals.map((total, i) => ({ t: new Date((spark.first + i * spark.step) * 1000).toISOString(), total, failed: spark.failed[i] }));
		expect(byBucket(sparkBuckets)).toEqual(byBucket(full.current.get(FLOW)!.series));
		const withRisk = await txFiguresCompared([flow], e.window, prevW, 600, t.db, 'full', { limit: 10 });
		expect(withRisk.current.get(FLOW)).toEqual(full.current.get(FLOW));
		const separate = await riskFigures(flow, e.window, 10, t.db);
		expect(separate.breakdowns.step.reduce((n, s) => n + s.failed, 0)).toBe(e.truth.failed);
		expect(fromRiskRows(withRisk.risk, 10)).toEqual(separate);
	});

	it('a flow naming its own start and end steps measures end-to-end time between them', async () => {
		const own = { ...flow, objectives: { ...flow.objectives, startStep: 'crm.submit-order', endStep: 'crm.update-status' } };
		const o = await flowKpis(own, e.window, t.db);
		expect(o.total).toBe(e.truth.total);
		for (const [q, v] of [[0.5, o.e2eMs.p50], [0.95, o.e2eMs.p95], [0.99, o.e2eMs.p99]] as const) {
			const [lo, hi] = quantileBounds(e.truth.ownE2eMs, q, QUANTILE_RELATIVE_ACCURACY);
			expect(v, `p${q * 100}`).toBeGreaterThanOrEqual(lo);
			expect(v, `p${q * 100}`).toBeLessThanOrEqual(hi);
		}
		expect(o.milestones['supplier-ack'].n).toBe(e.truth.ack.latencies.length);
	});

	it('an empty window has zero counts and null quantiles', async () => {
		const from = new Date(e.window.from.getTime() - 20 * 86_400_000);
		const empty = await flowKpis(flow, { from, to: new Date(from.getTime() + 3_600_000), now: e.window.now }, t.db);
		expect(empty).toMatchObject({ total: 0, failed: 0, successRate: null, e2eMs: { p50: null, p95: null, p99: null }, valueAtRisk: 0 });
	});
});
