import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startActionEndpoint, type ActionEndpoint } from '../../demo/action-endpoint';
import { generateSecret, sign, verify } from '../../demo/webhook-signature';
import { attr, backfilled, type Emitted } from './helpers';

const secret = generateSecret();
let run: Emitted;
let endpoint: ActionEndpoint;

beforeAll(async () => {
	// a recent week, so the replays (stamped now) come after the failures they fix
	run = await backfilled({ now: Date.now() - 60_000, transactions: 1200 });
	endpoint = await startActionEndpoint({ port: 0, secret, handle: (d) => run.sim.reprocess(d) });
});
afterAll(async () => {
	await endpoint?.close();
	await run?.sim.shutdown();
});

/** The webhook Syncscope would send for a dead letter (docs/contracts.md "Action webhooks"). */
function webhookFor(dead: ReadableLogRecord, action: 'replay' | 'retry' = 'replay') {
	const payload = String(dead.body);
	return {
		type: `syncscope.action.${action}`,
		timestamp: new Date().toISOString(),
		data: {
			deliveryId: randomUUID(),
			action,
			exceptionId: randomUUID(),
			flow: dead.attributes['integration.flow'],
			step: dead.attributes['integration.step'],
			correlationId: dead.attributes['integration.correlation_id'],
			messageId: dead.attributes['integration.message_id'],
			idempotencyKey: dead.attributes['integration.idempotency_key'],
			target: dead.attributes['integration.target'],
			payload,
			payloadSha256: createHash('sha256').update(payload).digest('hex'),
			requestedBy: 'ops@demo.example.com',
			approvedBy: 'lead@demo.example.com'
		}
	};
}

async function deliver(body: unknown, o: { key?: string; secret?: string; timestamp?: number; id?: string; url?: string } = {}) {
	const raw = JSON.stringify(body);
	const id = o.id ?? `msg_${randomUUID()}`;
	const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
	const res = await fetch(o.url ?? endpoint.url, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'webhook-id': id,
			'webhook-timestamp': String(ts),
			'webhook-signature': sign(o.secret ?? secret, id, ts, raw),
			'idempotency-key': o.key ?? randomUUID()
		},
		body: raw
	});
	return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const deadLetters = (step: string, pred: (l: ReadableLogRecord) => boolean = () => true) =>
	run.logs.filter((l) => l.eventName === 'integration.dead_letter' && l.attributes['integration.step'] === step && pred(l));
const spansNow = () => run.sinks.spans.getFinishedSpans();

describe('Standard Webhooks signatures', () => {
	it('matches the specification’s example', () => {
		// test vector of the standard-webhooks reference libraries
		const s = sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
		expect(s).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
	});

	it('accepts any of several signatures, refuses stale timestamps and other keys', () => {
		const now = 1_800_000_000_000;
		const ts = String(now / 1000);
		const good = sign(secret, 'm1', ts, 'body');
		expect(verify(secret, { id: 'm1', timestamp: ts, signature: `v1,bm90LWl0 ${good}` }, 'body', now)).toEqual({ ok: true });
		expect(verify(secret, { id: 'm1', timestamp: ts, signature: good }, 'body!', now)).toEqual({ ok: false, reason: 'bad signature' });
		expect(verify(generateSecret(), { id: 'm1', timestamp: ts, signature: good }, 'body', now)).toEqual({ ok: false, reason: 'bad signature' });
		expect(verify(secret, { id: 'm1', timestamp: ts, signature: good }, 'body', now + 301_000)).toEqual({ ok: false, reason: 'stale timestamp' });
		expect(verify(secret, { id: 'm1', timestamp: ts, signature: good }, 'body', now - 301_000)).toEqual({ ok: false, reason: 'stale timestamp' });
		expect(verify(secret, { id: 'm1', timestamp: ts }, 'body', now)).toEqual({ ok: false, reason: 'missing headers' });
	});
});

describe('action endpoint', () => {
	it('replays a dead-lettered order once: success telemetry with the same message ID, then the rest of the flow', async () => {
		const dead = deadLetters('mw.validate-order', (l) => ['CREDIT_HOLD', 'TAX_JURISDICTION_UNKNOWN', 'UOM_CONVERSION_MISSING', 'PRICE_BELOW_FLOOR'].includes(String(l.attributes['integration.error.code'])))[0];
		expect(dead).toBeDefined();
		const before = spansNow().length;
		const key = randomUUID();
		const first = await deliver(webhookFor(dead), { key });
		expect(first).toMatchObject({ status: 200, body: { status: 'processed', ok: true, outcome: 'success', attempt: 2 } });

		const emitted = spansNow().slice(before);
		const replayed = emitted.find((s) => s.name === 'mw.validate-order')!;
		expect(attr(replayed, 'message_id')).toBe(dead.attributes['integration.message_id']);
		expect(attr(replayed, 'idempotency_key')).toBe(dead.attributes['integration.idempotency_key']);
		expect(attr(replayed, 'correlation_id')).toBe(dead.attributes['integration.correlation_id']);
		expect(attr(replayed, 'flow')).toBe('order-to-cash');
		expect(attr(replayed, 'outcome')).toBe('success');
		expect(replayed.status.code).toBe(SpanStatusCode.OK);
		// the lineage grows: the order now reaches the ERP in the same trace
		const so = emitted.find((s) => s.name === 'erp.create-sales-order');
		expect(so && attr(so, 'correlation_id')).toBe(dead.attributes['integration.correlation_id']);
		expect(so!.spanContext().traceId).toBe(replayed.spanContext().traceId);
		expect(endpoint.processed()).toBe(1);

		// the same delivery again (a retry by the sender: new webhook-id, same Idempotency-Key)
		const count = spansNow().length;
		const again = await deliver(webhookFor(dead), { key });
		expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', ok: true } });
		await run.sim.flush();
		expect(spansNow().length).toBe(count);
		expect(endpoint.processed()).toBe(1);
	});

	it('refuses a bad signature (401) and a stale timestamp (401), processing nothing', async () => {
		const dead = deadLetters('mw.validate-order')[0];
		const count = spansNow().length;
		expect((await deliver(webhookFor(dead), { secret: generateSecret() })).status).toBe(401);
		const stale = await deliver(webhookFor(dead), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
		expect(stale).toMatchObject({ status: 401, body: { error: 'stale timestamp' } });
		const unsigned = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookFor(dead)) });
		expect(unsigned.status).toBe(400);
		await run.sim.flush();
		expect(spansNow().length).toBe(count);
	});

	it('reports a payload that is still invalid: the step fails again, with a new dead letter', async () => {
		const dead = deadLetters('mw.validate-order', (l) => l.attributes['integration.error.code'] === 'UOM_MISSING')[0] ?? deadLetters('supplier.asn')[0];
		expect(dead).toBeDefined();
		const deadBefore = run.sinks.logs.getFinishedLogRecords().length;
		const res = await deliver(webhookFor(dead));
		expect(res).toMatchObject({ status: 200, body: { status: 'processed', ok: false, outcome: 'failed' } });
		const again = run.sinks.logs.getFinishedLogRecords().slice(deadBefore).find((l) => l.eventName === 'integration.dead_letter');
		expect(again?.attributes['integration.message_id']).toBe(dead.attributes['integration.message_id']);
		expect(again?.attributes['integration.attempt']).toBeGreaterThan(1);
	});

	it('retries a transport failure (retry action) on other flows too', async () => {
		const dead = run.logs.find((l) => l.eventName === 'integration.dead_letter' && l.attributes['integration.error.class'] === 'transport');
		expect(dead).toBeDefined();
		const before = spansNow().length;
		const res = await deliver(webhookFor(dead!, 'retry'));
		expect(res).toMatchObject({ status: 200, body: { ok: true } });
		const s = spansNow().slice(before).find((x) => attr(x, 'message_id') === dead!.attributes['integration.message_id']);
		expect(s && attr(s, 'outcome')).toBe('success');
		expect(s && attr(s, 'step')).toBe(dead!.attributes['integration.step']);
	});

	it('remembers processed deliveries across a restart when it keeps a journal', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'demo-journal-'));
		const journal = join(dir, 'deliveries.jsonl');
		const dead = run.logs.find((l) => l.eventName === 'integration.dead_letter' && l.attributes['integration.error.class'] === 'transport' && l !== run.logs[0])!;
		const key = randomUUID();
		const first = await startActionEndpoint({ port: 0, secret, journal, handle: (d) => run.sim.reprocess(d) });
		expect((await deliver(webhookFor(dead, 'retry'), { key, url: first.url })).body).toMatchObject({ status: 'processed' });
		await first.close();
		const restarted = await startActionEndpoint({ port: 0, secret, journal, handle: (d) => run.sim.reprocess(d) });
		const count = spansNow().length;
		expect((await deliver(webhookFor(dead, 'retry'), { key, url: restarted.url })).body).toMatchObject({ status: 'duplicate' });
		await run.sim.flush();
		expect(spansNow().length).toBe(count);
		expect(restarted.processed()).toBe(0);
		await restarted.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('answers 422 for a step it cannot replay, 400 for a payload that does not match its digest', async () => {
		const dead = deadLetters('mw.validate-order')[0];
		const body = webhookFor(dead);
		expect((await deliver({ ...body, data: { ...body.data, step: 'crm.submit-order' } })).status).toBe(422);
		expect((await deliver({ ...body, data: { ...body.data, payload: '{"orderNumber":"SO-1"}', payloadSha256: body.data.payloadSha256 } })).status).toBe(400);
		expect((await deliver({ ...body, data: { ...body.data, payload: '{"orderNumber":"SO-1"}', payloadSha256: undefined } })).status).toBe(422);
		expect((await deliver({ type: 'syncscope.ping', data: {} })).status).toBe(202);
	});
});
