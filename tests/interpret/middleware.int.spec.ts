/**
 * MuleSoft, Camel (both OpenTelemetry modules) and n8n spans, emitted through the OpenTelemetry SDK
 * exactly as each product's conventions describe them (tests/interpret/shapes), sent through the real
 * collector (OTLP/HTTP protobuf) with nothing but the packs and, where the product has no business
 * key of its own, a `keys:` rule: every order is found by its ID, each failed order is exactly one
 * exception with its ID and error code, and the flow's KPIs equal what was sent.
 */
import type { HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { queryExceptions } from '../../src/lib/server/exceptions/queries';
import { flowSchema } from '../../src/lib/server/flows/schema';
import { setActiveRules } from '../../src/lib/server/interpret/ruleset';
import { compileDocument } from '../../src/lib/server/interpret/versions';
import { findLineage } from '../../src/lib/server/lineage';
import { fold } from '../../src/lib/server/sla/fold';
import { flowKpis } from '../../src/lib/server/sla/flow-kpis';
import { startHarness, type Harness } from '../collector/helpers';
import { emitCamel } from './shapes/camel';
import { emitMule } from './shapes/mulesoft';
import { emitN8n, N8N_ORDER_HEADER_ATTRIBUTE } from './shapes/n8n';

interface Order {
	id: string;
	status: number;
}

/** The shapes run on a fixed clock; the same spans, moved so the first starts `agoMs` before now. */
function recent(spans: readonly ReadableSpan[], agoMs = 10 * 60_000): ReadableSpan[] {
	const ms = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;
	const shift = Date.now() - agoMs - Math.min(...spans.map((s) => ms(s.startTime)));
	const move = (t: HrTime): HrTime => {
		const total = ms(t) + shift;
		return [Math.floor(total / 1000), Math.round((total % 1000) * 1e6)];
	};
	return spans.map((s) =>
		Object.create(s, {
			startTime: { value: move(s.startTime) },
			endTime: { value: move(s.endTime) },
			events: { value: s.events.map((e) => ({ ...e, time: move(e.time) })) }
		})
	);
}

async function send(h: Harness, spans: readonly ReadableSpan[]): Promise<void> {
	const exporter = new OTLPTraceExporter({ url: `${h.base}/v1/traces` });
	const code = await new Promise<number>((resolve) => exporter.export(recent(spans), (r) => resolve(r.code)));
	await exporter.shutdown();
	expect(code).toBe(0);
}

const PRODUCTS: { name: string; emit: () => { spans: ReadableSpan[]; orders: Order[] }; rules: string; code: (status: number) => RegExp }[] = [
	{ name: 'MuleSoft 4', emit: () => emitMule(), rules: 'packs: [mulesoft, semconv]', code: (s) => (s === 0 ? /^HTTP:CONNECTIVITY$/ : new RegExp(`^HTTP ${s}$`)) },
	{ name: 'Camel (camel-opentelemetry)', emit: () => emitCamel('camel-opentelemetry'), rules: "packs: [camel, semconv]\nkeys: { correlation_id: [{ from: 'attr:order.id' }] }", code: (s) => new RegExp(`^HTTP ${s}$`) },
	{ name: 'Camel (camel-opentelemetry2)', emit: () => emitCamel('camel-opentelemetry2'), rules: "packs: [camel, semconv]\nkeys: { correlation_id: [{ from: 'attr:order.id' }] }", code: (s) => new RegExp(`^HTTP ${s}$`) },
	{ name: 'n8n', emit: () => emitN8n(), rules: `packs: [n8n, semconv]\nkeys: { correlation_id: [{ from: 'attr:${N8N_ORDER_HEADER_ATTRIBUTE}' }] }`, code: (s) => (s === 422 ? /^HTTP (422|4xx)$/ : new RegExp(`^HTTP ${s}$`)) }
];

describe.each(PRODUCTS)('$name through the collector', ({ emit, rules, code }) => {
	let h: Harness;
	let orders: Order[];
	let from: Date;
	beforeAll(async () => {
		h = await startHarness();
		setActiveRules(compileDocument(rules, 0, 'test rules'));
		from = new Date(Date.now() - 20 * 60_000);
		const emitted = emit();
		orders = emitted.orders;
		await send(h, emitted.spans);
	});
	afterAll(async () => h?.stop());

	it('finds every order by its ID', async () => {
		const missing: string[] = [];
		for (const o of orders) if ((await findLineage(o.id)).spans.length === 0) missing.push(o.id);
		expect(missing).toEqual([]);
	});

	it('makes each failed order exactly one exception with its ID and error code', async () => {
		const failed = orders.filter((o) => o.status !== 201);
		const rows = await queryExceptions({});
		expect(rows).toHaveLength(failed.length);
		for (const o of failed) {
			const mine = rows.filter((r) => r.correlationId === o.id);
			expect(mine, o.id).toHaveLength(1);
			expect(mine[0].flow, o.id).not.toBe('');
			expect(mine[0].errorCode, o.id).toMatch(code(o.status));
		}
	});

	it('gives the flow KPIs equal to what was sent', async () => {
		const flows = await h.t.db.query<{ flow: string }>(sql`SELECT DISTINCT SpanAttributes['integration.flow'] AS flow FROM otel_traces WHERE flow != ''`);
		expect(flows).toHaveLength(1);
		await fold(h.t.db);
		// a pack's flow id may be a URI (Camel's consumer endpoint): the catalogue entry is built around it
		const flow = flowSchema.parse({ id: 'placeholder', name: flows[0].flow, businessOwner: 'x', technicalOwner: 'x' });
		const k = await flowKpis({ ...flow, id: flows[0].flow }, { from, to: new Date(Date.now() + 60_000), now: new Date() }, h.t.db);
		const failed = orders.filter((o) => o.status !== 201).length;
		expect({ total: k.total, succeeded: k.succeeded, failed: k.failed }).toEqual({ total: orders.length, succeeded: orders.length - failed, failed });
	});
});
