/**
 * A real Node-RED, instrumented only by the standard OpenTelemetry auto-instrumentation, relays 50
 * sales orders to an ERP stub (38 created, 6 rejected with 422, 6 met with 503); the spans it
 * exports over OTLP/HTTP protobuf are checked for the shape the interpretation layer relies on,
 * under both generations of the HTTP semantic conventions.
 *
 * The committed fixtures (fixtures/*.otlp.json: one order of each outcome, whole traces) are
 * rewritten with NODERED_WRITE_FIXTURES=1; otherwise the test checks they still have the shape
 * Node-RED emits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_HEADER, OLD_HTTP, ROUTE, STABLE_HTTP, type HttpConventions } from './conventions';
import { selectTraces, shapeOf } from './fixture';
import { plannedOrders, sendOrders, startNodeRed, type NodeRedRun, type PlannedOrder } from './harness';
import { SPAN_KIND, STATUS_CODE, startOtlpReceiver, type FlatSpan, type OtlpReceiver } from './otlp-receiver';

const ORDERS = plannedOrders(50);
const WRITE_FIXTURES = process.env.NODERED_WRITE_FIXTURES === '1';

const MODES = [
	{ label: 'default HTTP conventions', conv: OLD_HTTP, fixture: 'nodered-orders.otlp.json' },
	{ label: 'OTEL_SEMCONV_STABILITY_OPT_IN=http', conv: STABLE_HTTP, fixture: 'nodered-orders.semconv-stable.otlp.json' }
];

/** The express instrumentation's spans in each order's trace: Node-RED mounts its httpNode app in its main app. */
const EXPRESS_SPANS = [
	'SERVER > middleware - query',
	'SERVER > middleware - expressInit',
	'SERVER > middleware - mounted_app',
	'middleware - mounted_app > middleware - query',
	'middleware - mounted_app > middleware - expressInit',
	'middleware - mounted_app > request handler - /orders'
].sort();

describe.each(MODES)('Node-RED + OpenTelemetry auto-instrumentation, $label', ({ conv, fixture }) => {
	let rx: OtlpReceiver;
	let run: NodeRedRun;
	let statuses: number[];
	let spans: FlatSpan[];

	beforeAll(async () => {
		rx = await startOtlpReceiver();
		run = await startNodeRed({ otlpEndpoint: rx.endpoint, orders: ORDERS, env: conv.optIn ? { OTEL_SEMCONV_STABILITY_OPT_IN: conv.optIn } : {} });
		try {
			statuses = await sendOrders(run.url, ORDERS);
		} finally {
			// No waiting for the batch: stopping must flush it (otel-bootstrap.cjs).
			await run.stop();
		}
		spans = rx.spans();
	});
	afterAll(async () => {
		await run?.stop();
		await rx?.close();
	});

	const byId = (spanId: string | null) => spans.find((s) => s.spanId === spanId);
	const serverSpanOf = (order: PlannedOrder) => {
		const found = spans.filter((s) => s.kind === SPAN_KIND.SERVER && sameArray(s.attributes[CORRELATION_HEADER], [order.id]));
		expect(found, order.id).toHaveLength(1);
		return found[0];
	};
	const clientSpanIn = (traceId: string) => {
		const found = spans.filter((s) => s.kind === SPAN_KIND.CLIENT && s.traceId === traceId);
		expect(found).toHaveLength(1);
		return found[0];
	};

	it('the caller gets the status the ERP answered', () => {
		expect(statuses).toEqual(ORDERS.map((o) => o.status));
		expect(ORDERS.filter((o) => o.status !== 201)).toHaveLength(12);
	});

	it("the ERP gets each order once, with the caller's correlation id and the CLIENT span's trace context", () => {
		expect(run.erp.received.map((r) => r.correlationId)).toEqual(ORDERS.map((o) => o.id));
		for (const req of run.erp.received) {
			const [, traceId, spanId] = req.traceparent?.split('-') ?? [];
			const client = clientSpanIn(traceId);
			expect(client.spanId).toBe(spanId);
			expect(req.body).toMatchObject({ orderId: req.correlationId, channel: 'node-red' });
		}
	});

	it("each order's trace starts at a SERVER span: the caller's POST /orders and the relayed status", () => {
		for (const order of ORDERS) {
			const server = serverSpanOf(order);
			expect(server.parentSpanId).toBeNull();
			expect(server.name).toBe('POST /orders');
			expect(server.scope).toBe('@opentelemetry/instrumentation-http');
			expect(server.attributes).toMatchObject({
				[conv.method]: 'POST',
				[ROUTE]: '/orders',
				[conv.path]: '/orders',
				[conv.status]: order.status
			});
			// HTTP conventions: a server span is an error for 5xx only, not for the caller's 4xx.
			expect(server.statusCode, order.id).toBe(order.status >= 500 ? STATUS_CODE.ERROR : STATUS_CODE.UNSET);
			// The header key the brief expected: the instrumentation writes x_correlation_id instead.
			expect(server.attributes['http.request.header.x-correlation-id']).toBeUndefined();
		}
	});

	it('the ERP call is a CLIENT span in the same trace, under the express route handler', () => {
		const erpPort = Number(new URL(run.erp.url).port);
		for (const order of ORDERS) {
			const server = serverSpanOf(order);
			const client = clientSpanIn(server.traceId);
			expect(client.name).toBe('POST');
			expect(client.attributes).toMatchObject({
				[conv.method]: 'POST',
				[conv.url]: run.erp.url,
				[conv.peerHost]: '127.0.0.1',
				[conv.peerPort]: erpPort,
				[conv.status]: order.status,
				[CORRELATION_HEADER]: [order.id]
			});
			// HTTP conventions: a client span is an error for any 4xx or 5xx answer.
			expect(client.statusCode, order.id).toBe(order.status >= 400 ? STATUS_CODE.ERROR : STATUS_CODE.UNSET);
			const handler = byId(client.parentSpanId)!;
			expect(handler.name).toBe('request handler - /orders');
			expect(ancestors(handler, byId).map((s) => s.name)).toEqual(['middleware - mounted_app', 'POST /orders']);
		}
	});

	it('between them only INTERNAL spans of the express instrumentation', () => {
		for (const order of ORDERS) {
			const server = serverSpanOf(order);
			const internal = spans.filter((s) => s.traceId === server.traceId && s.kind === SPAN_KIND.INTERNAL);
			expect(internal.every((s) => s.scope === '@opentelemetry/instrumentation-express')).toBe(true);
			const edges = internal.map((s) => `${s.parentSpanId === server.spanId ? 'SERVER' : byId(s.parentSpanId)?.name} > ${s.name}`);
			expect(edges.sort()).toEqual(EXPRESS_SPANS);
			expect(spans.filter((s) => s.traceId === server.traceId)).toHaveLength(EXPRESS_SPANS.length + 2);
		}
	});

	it("nothing else but the harness's readiness polls (OPTIONS /orders, answered by express)", () => {
		const orderTraces = new Set(ORDERS.map((o) => serverSpanOf(o).traceId));
		const roots = spans.filter((s) => !orderTraces.has(s.traceId) && s.parentSpanId === null);
		expect(roots.length).toBeGreaterThan(0);
		expect(new Set(roots.map((s) => `${s.kind} ${s.name} ${s.attributes[conv.method]}`))).toEqual(new Set([`${SPAN_KIND.SERVER} OPTIONS OPTIONS`]));
		const rootIds = new Set(roots.map((s) => s.traceId));
		expect(spans.filter((s) => !orderTraces.has(s.traceId) && !rootIds.has(s.traceId))).toEqual([]);
	});

	it('the resource names the service and the process, nothing from a cloud', () => {
		const resource = spans[0].resource;
		expect(resource).toMatchObject({ 'service.name': 'node-red-orders', 'telemetry.sdk.language': 'nodejs', 'process.runtime.name': 'nodejs' });
		expect(Object.keys(resource).filter((k) => k.startsWith('cloud.'))).toEqual([]);
	});

	it(`fixtures/${fixture} has the shape Node-RED emits`, () => {
		const sample = [201, 422, 503].map((status) => serverSpanOf(ORDERS.find((o) => o.status === status)!).traceId);
		const live = selectTraces(rx.requests, new Set(sample));
		const path = new URL(`fixtures/${fixture}`, import.meta.url);
		if (WRITE_FIXTURES) writeFileSync(path, JSON.stringify(live, null, '\t') + '\n');
		expect(shapeOf(JSON.parse(readFileSync(path, 'utf8')))).toEqual(shapeOf(live));
	});
});

function ancestors(span: FlatSpan, byId: (id: string | null) => FlatSpan | undefined): FlatSpan[] {
	const out: FlatSpan[] = [];
	for (let p = byId(span.parentSpanId); p; p = byId(p.parentSpanId)) out.push(p);
	return out;
}

function sameArray(value: unknown, expected: string[]): boolean {
	return Array.isArray(value) && value.length === expected.length && value.every((v, i) => v === expected[i]);
}
