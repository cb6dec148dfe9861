/**
 * Every kind of dead letter the estate produces can be replayed: the handler reads the payload the
 * dead letter kept, re-runs the step with the same message identity, and succeeds — unless the
 * payload itself is invalid, which only its sender can fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayableSteps, type ActionData } from '../../demo/reprocess';
import { attr, backfilled, type Emitted } from './helpers';

/** Payloads only their sender can fix (an item's missing UOM, by contrast, the MDM hub defaults on replay). */
const STILL_INVALID = new Set(['mw.validate-order|UOM_MISSING', 'mw.enrich-item|GTIN_CHECK_DIGIT', 'supplier.asn|ASN_SSCC_MISSING']);
let run: Emitted;

beforeAll(async () => {
	run = await backfilled({ now: Date.now() - 60_000, transactions: 3000, seed: 'replays' });
});
afterAll(async () => {
	await run?.sim.shutdown();
});

describe('replaying dead letters', () => {
	it('handles one of each (flow, step, error code) the backfill dead-lettered', async () => {
		const dead = run.logs.filter((l) => l.eventName === 'integration.dead_letter');
		const byKind = new Map<string, (typeof dead)[number]>();
		for (const l of dead) byKind.set(`${l.attributes['integration.flow']}|${l.attributes['integration.step']}|${l.attributes['integration.error.code']}`, l);
		expect(byKind.size).toBeGreaterThanOrEqual(15);
		const replayable = new Set(replayableSteps().map((s) => `${s.flow}|${s.step}`));

		for (const [kind, l] of byKind) {
			const [flow, step, code] = kind.split('|');
			expect(replayable.has(`${flow}|${step}`), `${flow} / ${step} has a replay handler`).toBe(true);
			const data: ActionData = {
				action: 'replay',
				flow,
				step,
				correlationId: String(l.attributes['integration.correlation_id']),
				messageId: String(l.attributes['integration.message_id']),
				idempotencyKey: String(l.attributes['integration.idempotency_key']),
				payload: String(l.body)
			};
			const before = run.sinks.spans.getFinishedSpans().length;
			const result = await run.sim.reprocess(data);
			const replayed = run.sinks.spans
				.getFinishedSpans()
				.slice(before)
				.filter((s) => attr(s, 'message_id') === data.messageId);
			expect(replayed.length, kind).toBe(1);
			expect(attr(replayed[0], 'step')).toBe(step);
			expect(attr(replayed[0], 'flow')).toBe(flow);
			expect(attr(replayed[0], 'correlation_id')).toBe(data.correlationId);
			expect(attr(replayed[0], 'idempotency_key')).toBe(data.idempotencyKey);
			expect(attr(replayed[0], 'attempt') as number).toBeGreaterThan(l.attributes['integration.attempt'] as number);
			expect(result.ok, kind).toBe(!STILL_INVALID.has(`${step}|${code}`));
			expect(attr(replayed[0], 'outcome')).toBe(result.ok ? 'success' : 'failed');
		}
	});

	it('refuses a payload that does not fit the step, naming what is wrong', async () => {
		const dead = run.logs.find((l) => l.eventName === 'integration.dead_letter' && l.attributes['integration.step'] === 'mw.validate-order')!;
		const data: ActionData = {
			action: 'replay',
			flow: 'order-to-cash',
			step: 'mw.validate-order',
			correlationId: String(dead.attributes['integration.correlation_id']),
			messageId: String(dead.attributes['integration.message_id']),
			idempotencyKey: String(dead.attributes['integration.idempotency_key']),
			payload: JSON.stringify({ orderNumber: 'not-an-order' })
		};
		await expect(run.sim.reprocess(data)).rejects.toThrow(/payload does not match order-to-cash \/ mw.validate-order/);
		await expect(run.sim.reprocess({ ...data, payload: '{' })).rejects.toThrow(/not JSON/);
		await expect(run.sim.reprocess({ ...data, flow: 'order-to-cash', step: 'crm.submit-order' })).rejects.toThrow(/no replay for/);
	});
});
