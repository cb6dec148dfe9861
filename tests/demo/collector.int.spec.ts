/**
 * The simulator against the real collector (OTLP/HTTP protobuf, port 0) into a fresh chDB: what it
 * sent arrives as rows, the business-key index picks up its IDs, and the CLI's queries find them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../collector/index';
import { sql } from '../../src/lib/server/db';
import { demoSpanCount, featured } from '../../demo/guide';
import { Simulator } from '../../demo/simulator';
import { DEMO_NAMESPACE, otlpSinks } from '../../demo/telemetry';
import { testDb, type TestDb } from '../helpers/db';

let t: TestDb;
let collector: Collector;
let sim: Simulator;

beforeAll(async () => {
	t = await testDb({ otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1', batchLingerMs: 5 });
	collector = await startCollector({ config: t.config, db: t.db, log: () => {} });
	sim = new Simulator({ seed: 'int', sinks: otlpSinks(`http://127.0.0.1:${collector.httpPort}`) });
	await sim.backfill({ now: Date.now(), days: 3, transactions: 400 });
	await sim.flush();
});
afterAll(async () => {
	await sim?.shutdown();
	await collector?.shutdown();
	await t?.cleanup();
});

describe('demo → collector → ClickHouse', () => {
	it('stores every span and log record the simulator exported', async () => {
		const s = sim.telemetry.stats;
		expect(s.failedSpans + s.failedLogs).toBe(0);
		expect(s.spans).toBeGreaterThan(1000);
		const [spans] = await t.db.query<{ n: number; services: number }>(
			sql`SELECT uniqExact(TraceId, SpanId) AS n, uniqExact(ServiceName) AS services FROM otel_traces WHERE ResourceAttributes['service.namespace'] = ${{ String: DEMO_NAMESPACE }}`
		);
		expect(Number(spans.n)).toBe(s.spans);
		expect(Number(spans.services)).toBeGreaterThanOrEqual(7);
		const [logs] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_logs WHERE ResourceAttributes['service.namespace'] = ${{ String: DEMO_NAMESPACE }}`);
		expect(Number(logs.n)).toBe(s.logs);
		expect(await demoSpanCount(t.db)).toBe(s.spans);
	});

	it('keeps timestamps, status and the contract attributes', async () => {
		const rows = await t.db.query<{ Timestamp: string; StatusCode: string; flow: string; step: string; corr: string; events: string[] }>(sql`
			SELECT Timestamp, StatusCode, SpanAttributes['integration.flow'] AS flow, SpanAttributes['integration.step'] AS step,
			       SpanAttributes['integration.correlation_id'] AS corr, Events.Name AS events
			FROM otel_traces WHERE SpanAttributes['integration.outcome'] = 'failed' LIMIT 50`);
		expect(rows.length).toBeGreaterThan(0);
		for (const r of rows) {
			expect(r.StatusCode).toBe('Error');
			expect(r.events).toContain('exception');
			expect(r.flow && r.step && r.corr).toBeTruthy();
			const at = Date.parse(r.Timestamp.replace(' ', 'T') + 'Z');
			expect(at).toBeGreaterThan(Date.now() - 3 * 86_400_000 - 60_000);
			expect(at).toBeLessThan(Date.now());
		}
	});

	it('stores dead letters with their event name and JSON payload, and acks', async () => {
		const dead = await t.db.query<{ Body: string; EventName: string; step: string }>(
			sql`SELECT Body, EventName, LogAttributes['integration.step'] AS step FROM otel_logs WHERE LogAttributes['event.name'] = 'integration.dead_letter'`
		);
		expect(dead.length).toBeGreaterThan(0);
		for (const d of dead) {
			expect(d.EventName).toBe('integration.dead_letter');
			expect(() => JSON.parse(d.Body)).not.toThrow();
		}
		const [acks] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_logs WHERE EventName = 'integration.ack'`);
		expect(Number(acks.n)).toBeGreaterThan(0);
	});

	it('indexes business keys for lineage: an order across its own trace and the supplier’s later ones', async () => {
		const [po] = await t.db.query<{ corr: string }>(sql`
			SELECT SpanAttributes['integration.correlation_id'] AS corr FROM otel_traces
			WHERE SpanAttributes['integration.step'] = 'supplier.po-ack' AND SpanAttributes['integration.flow'] = 'order-to-cash' LIMIT 1`);
		expect(po?.corr).toMatch(/^SO-/);
		const traces = await t.db.query<{ TraceId: string }>(
			sql`SELECT DISTINCT TraceId FROM business_key_index WHERE KeyValue = ${{ String: po.corr }} AND KeyName = 'correlation_id'`
		);
		expect(traces.length).toBeGreaterThanOrEqual(2);
		const kinds = await t.db.query<{ KeyName: string }>(sql`SELECT DISTINCT KeyName FROM business_key_index ORDER BY KeyName`);
		expect(kinds.map((k) => k.KeyName)).toEqual(expect.arrayContaining(['correlation_id', 'message_id', 'idempotency_key', 'sales_order', 'purchase_order', 'item']));
	});

	it('finds an unresolved order for the terminal guide', async () => {
		const f = await featured(t.db);
		expect(f.order?.id).toMatch(/^SO-\d+$/);
		expect(f.order?.code).not.toBe('UOM_MISSING');
	});
});
