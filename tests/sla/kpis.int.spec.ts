import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { flowKpis } from '../../src/lib/server/sla/flow-kpis';
import { QUANTILE_RELATIVE_ACCURACY } from '../../src/lib/server/sla/kpis';
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

	it('an empty window has zero counts and null quantiles', async () => {
		const from = new Date(e.window.from.getTime() - 20 * 86_400_000);
		const empty = await flowKpis(flow, { from, to: new Date(from.getTime() + 3_600_000), now: e.window.now }, t.db);
		expect(empty).toMatchObject({ total: 0, failed: 0, successRate: null, e2eMs: { p50: null, p95: null, p99: null }, valueAtRisk: 0 });
	});
});
