/** Lineage queries on real chDB: rows inserted as the collector would, read back by key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLineage, loadLineage, toApi } from '../../src/lib/server/lineage';
import { testDb, type TestDb } from '../helpers/db';
import { hex, logRow, spanRow, step } from './rows';

let t: TestDb;
const order = 'SO-4711';
const trace1 = hex(16);
const trace2 = hex(16);
const other = hex(16);
const t0 = Date.now() - 3 * 3600_000;
const submitId = hex(8);
const sendPoId = hex(8);
const postId = hex(8);

beforeAll(async () => {
	t = await testDb();
	const spans = [
		spanRow({ traceId: trace1, spanId: submitId, service: 'crm-connector', name: 'POST /orders', start: t0, ms: 180, attrs: step(order, 'crm.submit-order', 'crm', 'middleware') }),
		spanRow({ traceId: trace1, parentSpanId: submitId, service: 'order-orchestrator', name: 'validate', start: t0 + 200, ms: 400, attrs: step(order, 'mw.validate-order', 'middleware', 'middleware') }),
		spanRow({ traceId: trace1, parentSpanId: submitId, service: 'erp-adapter', name: 'SalesOrder.Create', start: t0 + 700, ms: 30_000, error: 'timeout', attrs: step(order, 'erp.create-sales-order', 'middleware', 'erp', { 'integration.outcome': 'failed' }) }),
		spanRow({ traceId: trace1, parentSpanId: submitId, service: 'erp-adapter', name: 'SalesOrder.Create', start: t0 + 31_000, ms: 1250, attrs: step(order, 'erp.create-sales-order', 'middleware', 'erp') }),
		spanRow({ traceId: trace1, parentSpanId: submitId, service: 'wms-adapter', name: 'Allocation.Request', start: t0 + 33_000, ms: 2100, attrs: step(order, 'wms.allocate', 'erp', 'wms') }),
		spanRow({ traceId: trace1, spanId: sendPoId, parentSpanId: submitId, service: 'edi-gateway', name: 'EDI 850 send', start: t0 + 36_000, ms: 900, attrs: step(order, 'supplier.send-po', 'middleware', 'supplier:acme') }),
		spanRow({ traceId: trace1, spanId: postId, parentSpanId: submitId, service: 'erp-adapter', name: 'SalesOrder.Post', start: t0 + 40_000, ms: 640, error: 'credit hold', attrs: step(order, 'erp.post-order', 'middleware', 'erp', { 'integration.outcome': 'failed' }) }),
		// an untagged child span of the order's trace still belongs to its lineage
		spanRow({ traceId: trace1, parentSpanId: postId, service: 'erp-adapter', name: 'HTTP POST', start: t0 + 40_010, ms: 600, attrs: {} }),
		// hours later, another trace: the supplier acknowledgement, linked back to the PO span
		spanRow({ traceId: trace2, service: 'edi-gateway', name: 'EDI 855 receive', start: t0 + 130 * 60_000, ms: 350, attrs: step(order, 'supplier.po-ack', 'supplier:acme', 'middleware'), links: [{ traceId: trace1, spanId: sendPoId }] }),
		// someone else's order
		spanRow({ traceId: other, service: 'crm-connector', name: 'POST /orders', start: t0, ms: 100, attrs: step('SO-4712', 'crm.submit-order', 'crm', 'middleware') })
	];
	await t.db.insertRows('otel_traces', spans);
	// the client re-sent its first batch (OTLP allows it): every span must still count once
	await t.db.insertRows('otel_traces', spans.slice(0, 3));
	await t.db.insertRows('otel_logs', [
		logRow({ time: t0 + 40_700, traceId: trace1, spanId: postId, service: 'erp-adapter', eventName: 'integration.dead_letter', body: '{"salesOrder":"SO-4711"}', attrs: step(order, 'erp.post-order', 'middleware', 'erp', { 'integration.outcome': 'failed' }) }),
		// an acknowledgement log without a trace, found by its correlation ID alone
		logRow({ time: t0 + 131 * 60_000, service: 'edi-gateway', eventName: 'integration.ack', body: '997 functional ack', attrs: step(order, 'supplier.po-ack', 'supplier:acme', 'middleware') })
	]);
});
afterAll(async () => t?.cleanup());

describe('findLineage', () => {
	it('finds every trace carrying the correlation ID, including a later one, each span once', async () => {
		const l = await findLineage(order);
		expect(l.traces).toEqual([trace1, trace2]);
		expect(l.spans).toHaveLength(9);
		const ids = l.spans.map((s) => `${s.traceId}:${s.spanId}`);
		expect(new Set(ids).size).toBe(ids.length);
		expect(l.spans.some((s) => s.traceId === other)).toBe(false);
		const times = l.spans.map((s) => Date.parse(s.start));
		expect([...times].sort((a, b) => a - b)).toEqual(times);
		expect(l.matchedAs).toEqual(expect.arrayContaining(['correlation_id', 'sales_order']));
	});

	it('includes log events of those traces and logs that carry only the key', async () => {
		const l = await findLineage(order);
		expect(l.logs.map((g) => g.eventName)).toEqual(['integration.dead_letter', 'integration.ack']);
		expect(l.logs[0].step).toBe('erp.post-order');
		expect(l.logs[1].traceId).toBe('');
	});

	it('finds by message ID and by trace ID', async () => {
		const byMsg = await findLineage(`msg-${order}-supplier.po-ack`);
		expect(byMsg.traces).toEqual([trace2]);
		const byTrace = await findLineage(trace2.toUpperCase());
		expect(byTrace.traces).toEqual([trace2]);
		expect(byTrace.spans).toHaveLength(1);
		expect(byTrace.matchedAs).toContain('trace_id');
	});

	it('returns an empty lineage for a key nobody sent', async () => {
		const l = await findLineage('SO-0000');
		expect(l).toEqual({ key: 'SO-0000', matchedAs: [], traces: [], spans: [], logs: [] });
		expect((await findLineage('0'.repeat(32))).traces).toEqual([]);
	});

	it('treats the key as a value, never as SQL', async () => {
		const l = await findLineage("SO-4711' OR 1=1 --");
		expect(l.spans).toEqual([]);
	});

	it('maps to the documented API shape (with or without span details)', async () => {
		const full = await findLineage(order);
		const light = await findLineage(order, { detail: false });
		expect(toApi(light)).toEqual(toApi(full));
		expect(light.spans.every((s) => s.events.length === 0 && Object.keys(s.resource).length === 0)).toBe(true);
		expect(full.spans.some((s) => s.events.length > 0)).toBe(true);
		const api = toApi(full);
		expect(Object.keys(api)).toEqual(['key', 'traces', 'spans', 'logs']);
		expect(Object.keys(api.spans[0])).toEqual(['traceId', 'spanId', 'parentSpanId', 'service', 'name', 'start', 'durationMs', 'status', 'flow', 'step', 'source', 'target', 'outcome']);
		expect(Object.keys(api.logs[0])).toEqual(['time', 'service', 'eventName', 'body', 'flow', 'step']);
		const create = api.spans.filter((s) => s.step === 'erp.create-sales-order');
		expect(create.map((s) => s.outcome)).toEqual(['failed', 'success']);
		expect(create[0].durationMs).toBe(30_000);
		expect(create[0].status).toBe('Error');
	});
});

describe('lineage view', () => {
	it('shows hops coloured by outcome with latency, and the systems in order', async () => {
		const v = await loadLineage(order);
		expect(v.systems).toEqual(['crm', 'middleware', 'erp', 'wms', 'supplier:acme']);
		const hop = (s: string, d: string) => v.hops.find((h) => h.source === s && h.target === d)!;
		expect(hop('crm', 'middleware')).toMatchObject({ health: 'ok', attempts: 1, latencyMs: 180 });
		// created after a retry, then posting failed: the latest attempt on middleware → erp failed
		expect(hop('middleware', 'erp')).toMatchObject({ health: 'fail', attempts: 3, failures: 2 });
		expect(hop('erp', 'wms').health).toBe('ok');
		expect(hop('supplier:acme', 'middleware').health).toBe('ok');
	});

	it('compares what happened with the expected path', async () => {
		const v = await loadLineage(order);
		expect(v.paths).toHaveLength(1);
		const state = Object.fromEntries(v.paths[0].steps.map((s) => [s.id, s.state]));
		expect(state).toEqual({
			'crm.submit-order': 'done',
			'mw.validate-order': 'done',
			'erp.create-sales-order': 'done',
			'wms.allocate': 'done',
			'supplier.send-po': 'done',
			'supplier.po-ack': 'done',
			'erp.post-order': 'failed',
			'crm.update-status': 'missing'
		});
		const update = v.paths[0].steps.find((s) => s.id === 'crm.update-status')!;
		expect(update.overdue).toBe(true);
		expect(v.paths[0].steps.find((s) => s.id === 'erp.create-sales-order')!.attempts).toBe(2);
	});

	it('marks a step not yet due as pending, not missing', async () => {
		const v = await loadLineage(order, t0 + 10 * 60_000);
		expect(v.paths[0].steps.find((s) => s.id === 'crm.update-status')!.state).toBe('pending');
	});

	it('shows the link from the acknowledgement back to the PO trace', async () => {
		const v = await loadLineage(order);
		expect(v.links).toEqual([{ fromTrace: trace2, fromSpan: expect.any(String), toTrace: trace1, toSpan: sendPoId }]);
	});
});
