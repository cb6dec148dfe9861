/**
 * lineage_spans (migration 151): every span's light columns by TraceId, the table the API path reads.
 * Real chDB, rows inserted as the collector would; the backfill is checked by replaying the step from
 * migration 150 to 151 on a store that already holds spans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, sql } from '../../src/lib/server/db';
import { listMigrations, migrate, renderStatements } from '../../src/lib/server/db/migrate';
import { findLineage, toApi } from '../../src/lib/server/lineage';
import { testDb, type TestDb } from '../helpers/db';
import { hex, logRow, spanRow, step } from './rows';

let t: TestDb;
const t0 = Date.now() - 2 * 3600_000;

const tables = async () =>
	(await t.db.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'lineage%'`))
		.map((r) => r.name)
		.sort();
const stored = async (traceId: string) =>
	(await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM lineage_spans WHERE TraceId = ${{ String: traceId }}`))[0].n;

beforeAll(async () => {
	t = await testDb();
});
afterAll(async () => t?.cleanup());

describe('lineage_spans', () => {
	it('replaces lineage_span_attributes and its view', async () => {
		expect(await tables()).toEqual(['lineage_spans', 'lineage_spans_mv']);
	});

	it('holds every span of a tagged trace, and the API path returns the untagged ones too', async () => {
		const order = 'SO-8001';
		const trace = hex(16);
		const root = hex(8);
		await t.db.insertRows('otel_traces', [
			spanRow({ traceId: trace, spanId: root, service: 'crm-connector', name: 'POST /orders', start: t0, ms: 120, attrs: step(order, 'crm.submit-order', 'crm', 'middleware') }),
			spanRow({ traceId: trace, parentSpanId: root, service: 'erp-adapter', name: 'HTTP POST', start: t0 + 50, ms: 40, attrs: {} }),
			spanRow({ traceId: trace, parentSpanId: root, service: 'erp-adapter', name: 'db query', start: t0 + 60, ms: 10, attrs: { 'db.system': 'postgresql' }, error: 'deadlock' })
		]);
		expect(await stored(trace)).toBe(3);
		const l = await findLineage(order, { detail: false });
		expect(l.spans.map((s) => s.name)).toEqual(['POST /orders', 'HTTP POST', 'db query']);
		const [tagged, plain, failed] = toApi(l).spans;
		expect(tagged).toMatchObject({ flow: 'order-to-cash', step: 'crm.submit-order', source: 'crm', target: 'middleware', outcome: 'success' });
		expect(plain).toMatchObject({ parentSpanId: root, flow: '', step: '', source: '', target: '', outcome: 'success', durationMs: 40 });
		// an ERROR status without integration.outcome is a failure (brief)
		expect(failed).toMatchObject({ status: 'Error', outcome: 'failed' });
		// the page path adds what only otel_traces holds, to the right spans
		const full = await findLineage(order);
		expect(full.spans.find((s) => s.name === 'db query')).toMatchObject({
			attributes: { 'db.system': 'postgresql' },
			resource: { 'service.name': 'erp-adapter' },
			events: [{ name: 'exception', attributes: { 'exception.message': 'deadlock' } }]
		});
		expect(toApi(full)).toEqual(toApi(l));
	});

	it('counts a re-sent span once', async () => {
		const order = 'SO-8002';
		const trace = hex(16);
		const span = spanRow({ traceId: trace, service: 'wms-adapter', name: 'Allocation.Request', start: t0, ms: 300, attrs: step(order, 'wms.allocate', 'erp', 'wms') });
		const next = spanRow({ traceId: trace, service: 'wms-adapter', name: 'Pick.Confirm', start: t0 + 400, ms: 20, attrs: {} });
		await t.db.insertRows('otel_traces', [span]);
		// re-sent in a later batch (an identical batch would be deduplicated at insert)
		await t.db.insertRows('otel_traces', [span, next]);
		expect(await stored(trace)).toBe(3);
		for (const detail of [false, true]) {
			const l = await findLineage(order, { detail });
			expect(l.spans.map((s) => s.name)).toEqual(['Allocation.Request', 'Pick.Confirm']);
			expect(l.traces).toEqual([trace]);
		}
	});

	it('finds a trace by its ID on the API path, spans of other traces left out', async () => {
		const trace = hex(16);
		await t.db.insertRows('otel_traces', [
			spanRow({ traceId: trace, service: 'edi-gateway', name: 'EDI 856 receive', start: t0, ms: 80, attrs: {} }),
			spanRow({ traceId: hex(16), service: 'edi-gateway', name: 'EDI 856 receive', start: t0, ms: 80, attrs: {} })
		]);
		const l = await findLineage(trace.toUpperCase(), { detail: false });
		expect(l.matchedAs).toEqual(['trace_id']);
		expect(l.traces).toEqual([trace]);
		expect(l.spans.map((s) => s.traceId)).toEqual([trace]);
	});

	it('finds the logs of a trace beyond where the key was seen: a later untagged span, a trace ID', async () => {
		const order = 'SO-8004';
		const trace = hex(16);
		const root = hex(8);
		const late = hex(8);
		await t.db.insertRows('otel_traces', [
			spanRow({ traceId: trace, spanId: root, service: 'erp-adapter', name: 'SalesOrder.Post', start: t0, ms: 40_000, attrs: step(order, 'erp.post-order', 'middleware', 'erp') }),
			// 30 s into the tagged span, an untagged retry of its HTTP call logs an error without the key
			spanRow({ traceId: trace, spanId: late, parentSpanId: root, service: 'erp-adapter', name: 'HTTP POST', start: t0 + 30_000, ms: 5000, attrs: {} })
		]);
		await t.db.insertRows('otel_logs', [
			logRow({ time: t0 + 30_400, traceId: trace, spanId: late, service: 'erp-adapter', eventName: 'http.error', body: 'connection reset', attrs: {} })
		]);
		for (const detail of [false, true]) {
			const byKey = await findLineage(order, { detail });
			expect(byKey.spans).toHaveLength(2);
			expect(byKey.logs.map((g) => g.body)).toEqual(['connection reset']);
		}
		const byTrace = await findLineage(trace, { detail: false });
		expect(byTrace.matchedAs).toEqual(['trace_id']);
		expect(byTrace.logs.map((g) => g.spanId)).toEqual([late]);
	});

	it('backfills spans stored before migration 151, once, and drops the table it replaces', async () => {
		// back to the store as it was after migration 150: its table and view, none of 151's
		await t.db.exec(raw('DROP VIEW IF EXISTS lineage_spans_mv'));
		await t.db.exec(raw('DROP TABLE IF EXISTS lineage_spans'));
		await t.db.exec(sql`ALTER TABLE syncscope_migrations DELETE WHERE version = 151 SETTINGS mutations_sync = 1`);
		const m150 = listMigrations().find((m) => m.version === 150)!;
		for (const stmt of renderStatements(m150.text, t.config)) if (!stmt.startsWith('INSERT')) await t.db.exec(raw(stmt));
		expect(await tables()).toEqual(['lineage_span_attributes', 'lineage_span_attributes_mv']);

		const order = 'SO-8003';
		const trace = hex(16);
		const root = hex(8);
		await t.db.insertRows('otel_traces', [
			spanRow({ traceId: trace, spanId: root, service: 'crm-connector', name: 'POST /orders', start: t0, ms: 100, attrs: step(order, 'crm.submit-order', 'crm', 'middleware') }),
			spanRow({ traceId: trace, parentSpanId: root, service: 'erp-adapter', name: 'HTTP POST', start: t0 + 20, ms: 50, attrs: {} })
		]);

		expect(await migrate(t.db, t.config)).toEqual(['151_lineage_spans.sql']);
		expect(await tables()).toEqual(['lineage_spans', 'lineage_spans_mv']);
		const l = await findLineage(order, { detail: false });
		expect(l.spans.map((s) => [s.name, s.step])).toEqual([
			['POST /orders', 'crm.submit-order'],
			['HTTP POST', '']
		]);
		// spans stored before the earlier tests' inserts are back too, and new spans keep arriving
		expect((await findLineage('SO-8001', { detail: false })).spans).toHaveLength(3);
		await t.db.insertRows('otel_traces', [
			spanRow({ traceId: trace, parentSpanId: root, service: 'wms-adapter', name: 'Allocation.Request', start: t0 + 90, ms: 30, attrs: step(order, 'wms.allocate', 'erp', 'wms') })
		]);
		expect((await findLineage(order, { detail: false })).spans).toHaveLength(3);
		expect(await stored(trace)).toBe(3);
	});
});
