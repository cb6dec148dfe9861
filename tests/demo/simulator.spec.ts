import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { SERVICES } from '../../demo/telemetry';
import { attr, backfilled, ms, type Emitted } from './helpers';

const NOW = Date.parse('2026-11-23T15:00:00Z');
const catalogue = parseCatalogue(readFileSync('config/flows.yaml', 'utf8'));
const stepsOf = new Map(catalogue.flows.map((f) => [f.id, new Set(f.steps.map((s) => s.id))]));

let run: Emitted;
beforeAll(async () => {
	run = await backfilled({ now: NOW, transactions: 2000 });
});
afterAll(async () => {
	await run.sim.shutdown();
});

const spansAt = (flow: string, step: string) => run.spans.filter((s) => attr(s, 'flow') === flow && attr(s, 'step') === step);
const rate = (xs: unknown[], of: unknown[]) => xs.length / of.length;

describe('simulator: the telemetry contract', () => {
	it('emits a week of history from several services, all in the past', () => {
		expect(run.spans.length).toBeGreaterThan(8000);
		const services = new Set(run.spans.map((s) => s.resource.attributes['service.name']));
		expect([...services].sort()).toEqual(Object.values(SERVICES).sort());
		for (const s of run.spans) {
			expect(ms(s.startTime)).toBeGreaterThanOrEqual(NOW - 7 * 86_400_000);
			expect(ms(s.endTime)).toBeLessThanOrEqual(NOW);
		}
	});

	it('tags every span with flow, step and correlation ID, using the catalogue’s ids', () => {
		for (const s of run.spans) {
			const flow = String(attr(s, 'flow'));
			expect(stepsOf.get(flow), `flow ${flow}`).toBeDefined();
			expect(stepsOf.get(flow)!.has(String(attr(s, 'step'))), `${flow} / ${attr(s, 'step')}`).toBe(true);
			expect(s.name).toBe(attr(s, 'step'));
			for (const k of ['correlation_id', 'source', 'target', 'entity.type', 'entity.id', 'message_id', 'idempotency_key', 'attempt', 'outcome']) {
				expect(attr(s, k), `${k} on ${s.name}`).not.toBeUndefined();
			}
		}
		// every step of every flow occurs
		for (const [flow, steps] of stepsOf) for (const step of steps) expect(spansAt(flow, step).length, `${flow} / ${step}`).toBeGreaterThan(0);
	});

	it('puts money at stake on every order, some of it large', () => {
		const orders = run.spans.filter((s) => attr(s, 'flow') === 'order-to-cash');
		for (const s of orders) {
			expect(typeof attr(s, 'amount')).toBe('number');
			expect(['USD', 'CAD']).toContain(attr(s, 'currency'));
		}
		const submitted = spansAt('order-to-cash', 'crm.submit-order');
		expect(submitted.some((s) => (attr(s, 'amount') as number) > 50_000)).toBe(true);
		expect(submitted.some((s) => attr(s, 'currency') === 'CAD')).toBe(true);
		expect(new Set(submitted.map((s) => attr(s, 'correlation_id'))).size).toBeGreaterThan(900);
		expect(submitted.every((s) => /^SO-\d{6}$/.test(String(attr(s, 'correlation_id'))))).toBe(true);
	});

	it('marks failures as ERROR with an exception event and error tags, and only failures', () => {
		for (const s of run.spans) {
			const outcome = attr(s, 'outcome');
			const failed = outcome === 'failed' || outcome === 'rejected';
			expect(s.status.code === SpanStatusCode.ERROR, `${s.name} ${outcome}`).toBe(failed);
			if (failed) {
				expect(s.events.some((e) => e.name === 'exception' && e.attributes?.['exception.message'])).toBe(true);
				expect(['transport', 'validation', 'business']).toContain(attr(s, 'error.class'));
				expect(attr(s, 'error.code')).toBeTruthy();
			}
		}
	});
});

describe('simulator: realistic trouble', () => {
	it('fails order validation at the designed rate, for the designed reasons', () => {
		const v = spansAt('order-to-cash', 'mw.validate-order').filter((s) => attr(s, 'outcome') !== 'duplicate');
		const failed = v.filter((s) => attr(s, 'outcome') === 'failed');
		expect(rate(failed, v)).toBeGreaterThan(0.02);
		expect(rate(failed, v)).toBeLessThan(0.09);
		const codes = new Set(failed.map((s) => attr(s, 'error.code')));
		for (const c of ['TAX_JURISDICTION_UNKNOWN', 'UOM_CONVERSION_MISSING', 'PRICE_BELOW_FLOOR']) expect(codes).toContain(c);
	});

	it('blocks a credit-hold customer’s orders at the ERP, and some are resubmitted once released', () => {
		const held = spansAt('order-to-cash', 'erp.create-sales-order').filter((s) => attr(s, 'error.code') === 'CREDIT_HOLD');
		expect(held.length).toBeGreaterThan(5);
		expect(held.every((s) => attr(s, 'error.class') === 'business' && attr(s, 'partner') === 'customer:C-10124')).toBe(true);
		const released = held.filter((h) =>
			spansAt('order-to-cash', 'erp.create-sales-order').some((s) => attr(s, 'idempotency_key') === attr(h, 'idempotency_key') && attr(s, 'outcome') === 'success' && ms(s.startTime) > ms(h.endTime))
		);
		expect(released.length).toBeGreaterThan(0);
		expect(released.length).toBeLessThan(held.length);
	});

	it('dead-letters failed messages with the JSON payload and the step’s tags', () => {
		const dead = run.logs.filter((l) => l.eventName === 'integration.dead_letter');
		expect(dead.length).toBeGreaterThan(20);
		const failedByMessage = new Map(run.spans.filter((s) => s.status.code === SpanStatusCode.ERROR).map((s) => [attr(s, 'message_id'), s]));
		for (const l of dead) {
			expect(l.attributes['event.name']).toBe('integration.dead_letter');
			expect(() => JSON.parse(String(l.body))).not.toThrow();
			const span = failedByMessage.get(l.attributes['integration.message_id']);
			expect(span, 'a failed span for the dead-lettered message').toBeDefined();
			expect(l.spanContext?.traceId).toBe(span!.spanContext().traceId);
			for (const k of ['flow', 'step', 'correlation_id', 'idempotency_key', 'error.code']) expect(l.attributes[`integration.${k}`]).toBe(attr(span!, k));
		}
		const order = JSON.parse(String(dead.find((l) => l.attributes['integration.step'] === 'mw.validate-order')!.body));
		expect(order.orderNumber).toMatch(/^SO-\d+$/);
		expect(order.lines.length).toBeGreaterThan(0);
	});

	it('retries ERP 503s within the trace: attempt 1 failed, attempt 2 succeeded', () => {
		const creates = spansAt('order-to-cash', 'erp.create-sales-order');
		const firstFailed = creates.filter((s) => attr(s, 'attempt') === 1 && attr(s, 'error.code') === 'HTTP_503');
		expect(rate(firstFailed, creates)).toBeGreaterThan(0.015);
		expect(rate(firstFailed, creates)).toBeLessThan(0.1);
		const recovered = firstFailed.filter((f) =>
			creates.some((s) => s.spanContext().traceId === f.spanContext().traceId && attr(s, 'attempt') === 2 && attr(s, 'outcome') === 'success' && attr(s, 'message_id') === attr(f, 'message_id'))
		);
		expect(recovered.length).toBeGreaterThan(firstFailed.length / 2);
		expect(firstFailed.every((s) => attr(s, 'error.class') === 'transport' && attr(s, 'outcome') === 'failed')).toBe(true);
	});

	it('blocks duplicate submissions by idempotency key', () => {
		const dups = spansAt('order-to-cash', 'mw.validate-order').filter((s) => attr(s, 'outcome') === 'duplicate');
		const orders = spansAt('order-to-cash', 'crm.submit-order').filter((s) => !s.attributes['order.resubmitted']);
		expect(rate(dups, orders)).toBeGreaterThan(0.01);
		expect(rate(dups, orders)).toBeLessThan(0.05);
		for (const d of dups) {
			expect(attr(d, 'error.class')).toBe('duplicate');
			const original = spansAt('order-to-cash', 'mw.validate-order').find((s) => attr(s, 'idempotency_key') === attr(d, 'idempotency_key') && attr(s, 'outcome') !== 'duplicate');
			expect(original).toBeDefined();
			expect(original!.spanContext().traceId).not.toBe(d.spanContext().traceId);
			expect(attr(original!, 'message_id')).not.toBe(attr(d, 'message_id'));
		}
	});

	it('receives supplier acknowledgements later, in their own traces, with the same correlation ID', () => {
		const sent = spansAt('order-to-cash', 'supplier.send-po').filter((s) => attr(s, 'outcome') === 'success');
		const acks = spansAt('order-to-cash', 'supplier.po-ack');
		expect(acks.length).toBeGreaterThan(50);
		for (const a of acks) {
			const po = sent.find((s) => attr(s, 'entity.id') === attr(a, 'entity.id'))!;
			expect(po).toBeDefined();
			expect(a.parentSpanContext).toBeUndefined();
			expect(a.spanContext().traceId).not.toBe(po.spanContext().traceId);
			expect(a.links.map((l) => l.context.spanId)).toEqual([po.spanContext().spanId]);
			expect(attr(a, 'correlation_id')).toBe(attr(po, 'correlation_id'));
			expect(String(attr(a, 'correlation_id'))).toMatch(/^SO-/);
			expect(ms(a.startTime)).toBeGreaterThan(ms(po.endTime));
		}
		expect(run.logs.some((l) => l.eventName === 'integration.ack' && l.attributes['integration.step'] === 'supplier.po-ack')).toBe(true);
		// drop-ship ASNs come back under procure-to-pay, still carrying the sales order's ID
		expect(spansAt('procure-to-pay', 'supplier.asn').some((s) => String(attr(s, 'correlation_id')).startsWith('SO-'))).toBe(true);
	});

	it('has late and missing acknowledgements, and one supplier far noisier than the rest', () => {
		const sent = [...spansAt('order-to-cash', 'supplier.send-po'), ...spansAt('procure-to-pay', 'supplier.send-po')].filter((s) => attr(s, 'outcome') === 'success');
		const acks = [...spansAt('order-to-cash', 'supplier.po-ack'), ...spansAt('procure-to-pay', 'supplier.po-ack')];
		const ackOf = new Map(acks.map((a) => [attr(a, 'entity.id'), a]));
		const stats = (noisy: boolean) => {
			const mine = sent.filter((s) => (attr(s, 'partner') === 'supplier:northwind') === noisy && ms(s.endTime) < NOW - 2 * 86_400_000);
			const latency = mine.filter((s) => ackOf.has(attr(s, 'entity.id'))).map((s) => ms(ackOf.get(attr(s, 'entity.id'))!.startTime) - ms(s.endTime));
			latency.sort((a, b) => a - b);
			return { missing: rate(mine.filter((s) => !ackOf.has(attr(s, 'entity.id'))), mine), median: latency[Math.floor(latency.length / 2)], late: rate(latency.filter((l) => l > 4 * 3_600_000), latency) };
		};
		const noisy = stats(true);
		const others = stats(false);
		expect(noisy.median).toBeGreaterThan(3 * others.median);
		expect(noisy.late).toBeGreaterThan(0.2);
		expect(others.late).toBeLessThan(0.1);
		expect(noisy.missing).toBeGreaterThan(others.missing);
		const failures = (noisy: boolean) => {
			const all = [...spansAt('order-to-cash', 'supplier.send-po'), ...spansAt('procure-to-pay', 'supplier.send-po')].filter((s) => (attr(s, 'partner') === 'supplier:northwind') === noisy);
			return rate(all.filter((s) => attr(s, 'outcome') === 'failed'), all);
		};
		expect(failures(true)).toBeGreaterThan(3 * failures(false));
	});

	it('tags inventory events with the time stock moved, before it was processed', () => {
		const adj = spansAt('inventory-sync', 'wms.adjust-stock');
		const delays = adj.map((s) => ms(s.startTime) - Date.parse(String(attr(s, 'event_time'))));
		expect(delays.every((d) => d >= 0)).toBe(true);
		expect(delays.some((d) => d > 5 * 60_000)).toBe(true);
		for (const s of spansAt('inventory-sync', 'ecommerce.publish-availability')) expect(attr(s, 'event_time')).toBeTruthy();
	});
});

describe('simulator: determinism', () => {
	const digest = (e: Emitted) =>
		createHash('sha256')
			.update(JSON.stringify(e.spans.map((s) => [s.spanContext().traceId, s.spanContext().spanId, s.name, s.startTime, s.endTime, s.attributes])))
			.update(JSON.stringify(e.logs.map((l) => [l.spanContext?.spanId, l.hrTime, l.body, l.attributes])))
			.digest('hex');

	it('emits the same telemetry for the same seed and a different one for another seed', async () => {
		const a = await backfilled({ now: NOW, transactions: 300 });
		const b = await backfilled({ now: NOW, transactions: 300 });
		const c = await backfilled({ now: NOW, transactions: 300, seed: 'other' });
		expect(digest(a)).toBe(digest(b));
		expect(digest(a)).not.toBe(digest(c));
		await Promise.all([a.sim.shutdown(), b.sim.shutdown(), c.sim.shutdown()]);
	});

	it('goes live without repeating an earlier run’s trace IDs or order numbers (a restarted demo)', async () => {
		const first = await backfilled({ now: NOW, transactions: 300 });
		const restarted = await backfilled({ now: NOW, transactions: 0 });
		restarted.sim.goLive(NOW + 3_600_000);
		restarted.sim.tick(NOW + 3_600_000, 40);
		await restarted.sim.flush();
		const live = restarted.sinks.spans.getFinishedSpans();
		expect(live.length).toBeGreaterThan(100);
		const earlier = new Set(first.spans.map((s) => s.spanContext().traceId));
		expect(live.filter((s) => earlier.has(s.spanContext().traceId))).toEqual([]);
		const orders = new Set(first.spans.map((s) => attr(s, 'correlation_id')));
		expect(live.filter((s) => orders.has(attr(s, 'correlation_id')))).toEqual([]);
		await Promise.all([first.sim.shutdown(), restarted.sim.shutdown()]);
	});

	it('keeps follow-ups that are not due yet for the live trickle, which delivers them', async () => {
		const e = await backfilled({ now: NOW, transactions: 300 });
		const pending = e.sim.pendingCount();
		expect(pending).toBeGreaterThan(0);
		const before = e.sinks.spans.getFinishedSpans().length;
		e.sim.goLive(NOW + 10 * 86_400_000);
		e.sim.tick(NOW + 10 * 86_400_000, 0);
		await e.sim.flush();
		expect(e.sim.pendingCount()).toBeLessThan(pending);
		expect(e.sinks.spans.getFinishedSpans().length).toBeGreaterThan(before);
		await e.sim.shutdown();
	});
});
