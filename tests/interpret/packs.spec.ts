/**
 * The product packs over spans emitted through the OpenTelemetry JS SDK exactly as each product's
 * published conventions describe them (tests/interpret/shapes): per order, the failure lands on one
 * span (its ancestors relayed), with the order's correlation ID, an error code from the HTTP status
 * or the product's error type, and the flow and step the pack promises; and no pack fires on another
 * product's spans.
 */
import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { compileRule, type CompiledRule } from '../../src/lib/server/interpret/engine';
import { interpretBatch } from '../../src/lib/server/interpret/batch';
import type { Derived, Item } from '../../src/lib/server/interpret/facts';
import { PACKS_BY_NAME } from '../../src/lib/server/interpret/packs';
import { keyRules, parseRules } from '../../src/lib/server/interpret/ruleset';
import { PACKS, ruleSchema, type PackName } from '../../src/lib/server/interpret/schema';
import { CAMEL_CONSUMER_URI, CAMEL_ERP_HOST, CAMEL_ERP_URI, CAMEL_ROUTE, emitCamel, type CamelModule } from './shapes/camel';
import { emitMule, MULE_ERP_HOST, MULE_FLOW } from './shapes/mulesoft';
import { emitN8n, N8N_FAILING_NODE, N8N_ORDER_HEADER_ATTRIBUTE, N8N_WORKFLOW } from './shapes/n8n';
import { recordingProvider, T0, toItems, type ToItemsOptions } from './shapes/to-items';

const PRODUCT_PACKS = ['node-red', 'camel', 'mulesoft', 'n8n'] as const satisfies readonly PackName[];

/** keys (from a rule file's `keys:`) first, then the packs in the given order (product, then semconv). */
function compile(packs: readonly PackName[], ruleFile = ''): CompiledRule[] {
	const file = parseRules(ruleFile);
	const rules = keyRules(file.keys, {}).map((r) => compileRule(ruleSchema.parse(r), 'keys'));
	for (const p of packs) for (const r of PACKS_BY_NAME[p].rules) rules.push(compileRule(ruleSchema.parse(r), `pack:${p}`));
	return rules;
}

interface Row extends Derived {
	item: Item;
}

function interpret(items: Item[], rules: CompiledRule[]): Map<string, Row[]> {
	const derived = interpretBatch(items, rules);
	const byTrace = new Map<string, Row[]>();
	items.forEach((item, i) => {
		const rows = byTrace.get(item.traceId) ?? [];
		rows.push({ item, ...derived[i] });
		byTrace.set(item.traceId, rows);
	});
	return byTrace;
}

interface Expected {
	/** the failing span */
	span: (r: Row) => boolean;
	code: string;
	cls: string;
}

/** One failure per failed order, on the expected span, its ancestors relayed; none on the others. */
function checkOrders<O extends { id: string; traceId: string }>(
	traces: Map<string, Row[]>,
	orders: O[],
	expected: (order: O) => Expected | null,
	check: (failing: Row, order: O) => void
) {
	expect(traces.size).toBe(orders.length);
	for (const o of orders) {
		const rows = traces.get(o.traceId)!;
		const want = expected(o);
		const failed = rows.filter((r) => r.facts.outcome === 'failed' || r.facts.outcome === 'rejected');
		if (!want) {
			expect(failed, `${o.id}: no failure`).toHaveLength(0);
			expect(rows.filter((r) => r.facts.outcome === 'relayed')).toHaveLength(0);
			continue;
		}
		expect(failed, `${o.id}: exactly one failing span`).toHaveLength(1);
		const [f] = failed;
		expect(want.span(f), `${o.id}: the failure is on the expected span (${f.item.name})`).toBe(true);
		expect(f.facts.correlation_id, `${o.id}: correlation ID on the failing span`).toBe(o.id);
		expect(f.facts['error.code'], `${o.id}: error code`).toBe(want.code);
		expect(f.facts['error.class'], `${o.id}: error class`).toBe(want.cls);
		// every ancestor whose own signals said "failed" passed it on
		const byId = new Map(rows.map((r) => [r.item.spanId, r]));
		for (let p = byId.get(f.item.parentSpanId); p; p = byId.get(p.item.parentSpanId)) {
			if (p.item.status === 'Error' || p.by.outcome === 'deepest-failure') expect(p.facts.outcome, `${o.id}: ${p.item.name} relayed`).toBe('relayed');
		}
		check(f, o);
	}
}

describe('pack rules', () => {
	it('parse, are named after their pack, and only fire on their product (every rule has a product condition)', () => {
		for (const name of PACKS) {
			const pack = PACKS_BY_NAME[name];
			expect(pack.name).toBe(name);
			const ids = pack.rules.map((r) => r.id);
			expect(new Set(ids).size).toBe(ids.length);
			for (const r of pack.rules) {
				expect(r.id.startsWith(`${name}.`), r.id).toBe(true);
				const parsed = ruleSchema.parse(r);
				if (name !== 'semconv') {
					const w = parsed.when;
					expect(Boolean(w.scope || w.name || Object.keys(w.attr ?? {}).length > 0), `${r.id} has a product condition`).toBe(true);
				}
			}
		}
	});
});

describe('mulesoft pack', () => {
	const { spans, orders } = emitMule();
	const traces = interpret(toItems(spans), compile(['mulesoft', 'semconv']));

	it('puts each failed order on its HTTP Request span with correlation.id, the status or the Mule error type, flow and step', () => {
		checkOrders(
			traces,
			orders,
			(o) =>
				o.status === 201
					? null
					: {
							span: (r) => r.item.kind === 'Client' && r.item.name === 'POST',
							code: o.status === 0 ? 'HTTP:CONNECTIVITY' : `HTTP ${o.status}`,
							cls: o.status === 422 ? 'validation' : 'transport'
						},
			(f) => {
				expect(f.by.correlation_id).toBe('mulesoft.correlation');
				expect(f.facts.flow).toBe(MULE_FLOW);
				expect(f.facts.step).toBe(`${MULE_FLOW}/processors/2`);
				expect(f.facts.target).toBe(MULE_ERP_HOST);
				expect(f.facts['error.message']).toMatch(/^HTTP POST on resource '.+' failed/);
			}
		);
		const failures = orders.filter((o) => o.status !== 201);
		expect(failures.map((o) => o.status).sort()).toEqual([0, 0, 422, 422, 422, 503, 503]);
	});

	it('names the connectivity failure by the Mule error type, and sets flow, step and success on the others', () => {
		const unreachable = orders.find((o) => o.status === 0)!;
		const failing = traces.get(unreachable.traceId)!.find((r) => r.facts.outcome === 'failed')!;
		expect(failing.by['error.code']).toBe('mulesoft.error-type');
		expect(failing.by['error.class']).toBe('mulesoft.error-class');

		const ok = traces.get(orders.find((o) => o.status === 201)!.traceId)!;
		const flowSpan = ok.find((r) => r.item.kind === 'Server')!;
		expect(flowSpan.facts.flow).toBe(MULE_FLOW);
		expect(flowSpan.facts.step).toBeUndefined();
		expect(ok.map((r) => r.facts.step).sort()).toEqual(['order-intake/processors/0', 'order-intake/processors/1', 'order-intake/processors/2', undefined]);
		expect(ok.find((r) => r.item.kind === 'Client')!.facts.outcome).toBe('success');
	});
});

describe('camel pack', () => {
	const ruleFile = `
packs: [camel, semconv]
keys:
  correlation_id: [{ from: 'attr:order.id' }]
`;
	for (const module of ['camel-opentelemetry', 'camel-opentelemetry2'] as CamelModule[]) {
		describe(module, () => {
			const { spans, orders } = emitCamel(module);
			const traces = interpret(toItems(spans), compile(['camel', 'semconv'], ruleFile));
			const flow = module === 'camel-opentelemetry' ? CAMEL_ROUTE : CAMEL_CONSUMER_URI;

			it('puts each failed order on the HTTP producer span with the order ID (keys), the status from the error event, flow and step', () => {
				checkOrders(
					traces,
					orders,
					(o) =>
						o.status === 201
							? null
							: {
									span: (r) => r.item.kind === 'Client' && r.item.attrs['camel.uri'] === CAMEL_ERP_URI,
									code: `HTTP ${o.status}`,
									cls: o.status === 422 ? 'validation' : 'transport'
								},
					(f, o) => {
						expect(f.by.outcome).toBe('camel.failed');
						expect(f.facts['error.message']).toBe(`HTTP operation failed invoking ${CAMEL_ERP_URI} with statusCode: ${o.status}`);
						expect(f.facts.flow).toBe(flow);
						expect(f.facts.step).toBe(CAMEL_ERP_URI);
						expect(f.facts.target).toBe(CAMEL_ERP_HOST);
					}
				);
			});

			it('gives every span of a successful exchange the flow, and its steps', () => {
				const ok = traces.get(orders.find((o) => o.status === 201)!.traceId)!;
				for (const r of ok) expect(r.facts.flow, r.item.name).toBe(flow);
				expect(new Set(ok.map((r) => r.facts.step))).toEqual(new Set([CAMEL_CONSUMER_URI, 'direct://validate-order', CAMEL_ERP_URI]));
				expect(ok.find((r) => r.item.kind === 'Client')!.facts.outcome).toBe('success');
			});
		});
	}

	it('without the error event (the collector keeps only exception events today) still sees the failure, not its status', () => {
		const { spans, orders } = emitCamel('camel-opentelemetry');
		const opts: ToItemsOptions = { eventNames: ['exception'] };
		const traces = interpret(toItems(spans, opts), compile(['camel', 'semconv'], ruleFile));
		const failed = orders.find((o) => o.status === 422)!;
		const failing = traces.get(failed.traceId)!.filter((r) => r.facts.outcome === 'failed');
		expect(failing).toHaveLength(1);
		expect(failing[0].facts['error.code']).toBeUndefined();
	});
});

describe('n8n pack', () => {
	const ruleFile = `
packs: [n8n, semconv]
keys:
  correlation_id: [{ from: 'attr:${N8N_ORDER_HEADER_ATTRIBUTE}' }]
`;
	const { spans, orders } = emitN8n();
	const items = toItems(spans);
	const traces = interpret(items, compile(['n8n', 'semconv'], ruleFile));

	it('puts each failed order on the failing node span with the caller’s order ID, the status NodeApiError names, flow and step', () => {
		checkOrders(
			traces,
			orders,
			(o) =>
				o.status === 201
					? null
					: {
							span: (r) => r.item.name === 'node.execute' && r.item.attrs['n8n.node.name'] === N8N_FAILING_NODE,
							// n8n publishes 503 by its own message, 422 only as "a 4xx"
							code: o.status === 503 ? 'HTTP 503' : 'HTTP 4xx',
							cls: o.status === 503 ? 'transport' : 'validation'
						},
			(f) => {
				expect(f.by.correlation_id).toBe('trace');
				expect(f.facts.flow).toBe(N8N_WORKFLOW);
				expect(f.facts.step).toBe(N8N_FAILING_NODE);
				expect(f.by['error.code']).toBe('n8n.node-api-error');
			}
		);
	});

	it('relays the failure to the workflow span and the caller, and does not take the execution ID for a correlation ID', () => {
		const failed = orders.find((o) => o.status === 503)!;
		const rows = traces.get(failed.traceId)!;
		expect(rows.find((r) => r.item.name === 'workflow.execute')!.facts.outcome).toBe('relayed');
		expect(rows.find((r) => r.item.service === 'webshop')!.facts.outcome).toBe('relayed');

		const packOnly = interpret(items, compile(['n8n', 'semconv']));
		for (const rows of packOnly.values()) for (const r of rows) expect(r.facts.correlation_id).toBeUndefined();
	});
});

/**
 * node-red-contrib-opentelemetry (lib/opentelemetry-node.js): a run span and a span per node, all
 * children of the run span, tracer named after the package. Flow "Order intake":
 * http in → Create sales order (http request) → http response.
 */
function emitNodeRed(statuses: number[]) {
	const { provider, exporter } = recordingProvider({ 'service.name': 'Node-RED' });
	const tracer = provider.getTracer('node-red-contrib-opentelemetry', '2.0.1');
	const nodes = [
		{ id: 'a1f0c2d3e4b5a6c7', type: 'http in', name: '', kind: SpanKind.SERVER },
		{ id: 'b2e1d3c4f5a6b7c8', type: 'http request', name: 'Create sales order', kind: SpanKind.CLIENT },
		{ id: 'c3d2e4f5a6b7c8d9', type: 'http response', name: '', kind: SpanKind.INTERNAL }
	];
	const traceIds: string[] = [];
	statuses.forEach((status, i) => {
		const t = T0 + i * 1000;
		const msgId = `9f1e2d3c4b5a${String(i).padStart(4, '0')}`;
		const common = (n: (typeof nodes)[number]) => ({
			'node_red.run.id': msgId,
			'node_red.msg.id': msgId,
			'node_red.flow.id': 'f0e1d2c3b4a59687',
			'node_red.flow.name': 'Order intake',
			'node_red.node.id': n.id,
			'node_red.node.type': n.type,
			'node_red.node.name': n.name
		});
		const run = tracer.startSpan(
			'http in /orders',
			{ kind: SpanKind.SERVER, startTime: t, attributes: { 'node_red.msg.new': true, 'node_red.trigger.type': 'http in', ...common(nodes[0]), 'url.path': '/orders', 'http.request.method': 'POST' } },
			ROOT_CONTEXT
		);
		const inRun = trace.setSpan(ROOT_CONTEXT, run);
		nodes.forEach((n, k) => {
			const span = tracer.startSpan(n.name || n.type, { kind: n.kind, startTime: t + k, attributes: { 'code.function.name': n.type, 'node_red.msg.new': false, ...common(n) } }, inRun);
			if (n.type === 'http request') {
				span.setAttributes({ 'http.response.status_code': status, 'url.path': '/api/sales-orders', 'server.address': 'erp.example.internal', 'server.port': '8080', 'url.scheme': 'http' });
				if (status >= 400) {
					span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP Error: ${status}` });
					const e = new Error(`HTTP Error: ${status}`);
					e.name = 'HTTPError';
					span.recordException(e, t + 50);
				} else span.setStatus({ code: SpanStatusCode.OK });
			}
			span.end(t + 50 + k);
		});
		run.end(t + 60);
		traceIds.push(run.spanContext().traceId);
	});
	return { spans: exporter.getFinishedSpans(), traceIds };
}

describe('node-red pack', () => {
	it('takes flow from the tab label, step from the node name or type, message ID and target; the status from the http request node', () => {
		const { spans, traceIds } = emitNodeRed([201, 422]);
		const traces = interpret(toItems(spans), compile(['node-red', 'semconv']));
		const ok = traces.get(traceIds[0])!;
		expect(new Set(ok.map((r) => r.facts.flow))).toEqual(new Set(['Order intake']));
		expect(ok.map((r) => r.facts.step).sort()).toEqual(['Create sales order', 'http in', 'http response', undefined]);
		const request = traces.get(traceIds[1])!.find((r) => r.item.attrs['node_red.node.type'] === 'http request')!;
		expect(request.facts).toMatchObject({
			flow: 'Order intake',
			step: 'Create sales order',
			message_id: '9f1e2d3c4b5a0001',
			target: 'erp.example.internal',
			outcome: 'failed',
			'error.code': 'HTTP 422',
			'error.class': 'validation'
		});
	});
});

describe('no pack fires on another product’s spans', () => {
	const shapes: [string, Item[]][] = [
		['mulesoft', toItems(emitMule().spans)],
		['camel', toItems(emitCamel('camel-opentelemetry').spans)],
		['camel', toItems(emitCamel('camel-opentelemetry2').spans)],
		['n8n', toItems(emitN8n().spans)],
		['node-red', toItems(emitNodeRed([201, 422]).spans)]
	];
	for (const [product, items] of shapes) {
		for (const pack of PRODUCT_PACKS.filter((p) => p !== product)) {
			it(`${pack} over ${product}`, () => {
				const withPack = interpretBatch(items, compile([pack]));
				expect(withPack.flatMap((d) => Object.values(d.by)).filter((id) => id.startsWith(`${pack}.`))).toEqual([]);
				expect(withPack).toEqual(interpretBatch(items, []));
			});
		}
	}
});
