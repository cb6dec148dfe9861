/** The runbook auto-retry policy: attempts and exponential back-off from the last failure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { failMessage, insertSpans, span, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow } from '../../src/lib/server/exceptions/queries';
import { autoRetryTick } from '../../src/lib/server/exceptions/auto-retry';
import { auditFor } from '../../src/lib/server/audit/log';
import { deliveryLog } from '../../src/lib/server/actions/delivery';

let t: TestDb;
let rx: Receiver;
let secret = '';
// o2c-erp-create-sales-order: autoRetry 3 attempts, back-off 5m
const msg: Msg = { flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: 'auto-1', errorClass: 'transport' };
const id = exceptionId(msg.flow, msg.messageId);
// credit holds have no auto-retry: a business decision
const hold: Msg = { ...msg, messageId: 'hold-1', errorClass: 'business', errorCode: 'CREDIT_HOLD' };
const MIN = 60_000;

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
	await failMessage(t.db, msg);
	await failMessage(t.db, hold);
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

/** Wait (up to 15 s) until the receiver has `requests` webhooks and each is in the delivery log. */
async function settle(requests: number) {
	for (let i = 0; i < 1500; i++) {
		if (rx.requests.length >= requests && (await deliveryLog(id)).length >= rx.requests.length) return;
		await new Promise((r) => setTimeout(r, 10));
	}
	throw new Error(`expected ${requests} webhook(s), got ${rx.requests.length}`);
}

describe('auto-retry', () => {
	it('waits for the back-off, then retries through the endpoint', async () => {
		expect(await autoRetryTick(Date.now())).toEqual([]);
		const before = rx.requests.length;
		expect(await autoRetryTick(Date.now() + 5 * MIN)).toEqual([id]);
		await settle(before + 1);
		expect(rx.requests.at(-1)!.body).toMatchObject({ type: 'syncscope.action.retry', data: { action: 'retry', messageId: 'auto-1' } });
		expect((await getExceptionRow(id))!.state).toBe('retrying');
		expect(await autoRetryTick(Date.now() + 60 * MIN)).toEqual([]);
	});

	it('retries again after a new failure, with a doubled back-off, at most `attempts` times', async () => {
		for (let n = 1; n < 3; n++) {
			await insertSpans(t.db, [span(msg, { outcome: 'failed', at: n })]);
			expect((await getExceptionRow(id))!.state).toBe('open');
			expect(await autoRetryTick(Date.now() + 5 * MIN * 2 ** n - MIN)).toEqual([]);
			const before = rx.requests.length;
			expect(await autoRetryTick(Date.now() + 5 * MIN * 2 ** n + MIN)).toEqual([id]);
			await settle(before + 1);
		}
		await insertSpans(t.db, [span(msg, { outcome: 'failed', at: 10 })]);
		expect(await autoRetryTick(Date.now() + 24 * 60 * MIN)).toEqual([]);
		const retries = (await auditFor('exception', id)).filter((a) => a.Action === 'retry');
		expect(retries.map((r) => r.Comment)).toEqual([1, 2, 3].map((n) => `auto-retry ${n} of 3 (runbook o2c-erp-create-sales-order)`));
	});

	it('leaves exceptions whose runbook has no auto-retry alone', async () => {
		expect((await getExceptionRow(exceptionId(hold.flow, hold.messageId)))!.state).toBe('open');
		expect((await auditFor('exception', exceptionId(hold.flow, hold.messageId))).length).toBe(0);
	});
});

describe('stalled deliveries', () => {
	it('an approval whose delivery never ran (the console stopped) is delivered once on resume', async () => {
		const { appendAudit } = await import('../../src/lib/server/audit/log');
		const { performAction } = await import('../../src/lib/server/exceptions/service');
		const { resumeStalledDeliveries } = await import('../../src/lib/server/exceptions/auto-retry');
		const m2: Msg = { ...hold, messageId: 'stalled-1', errorCode: 'CREDIT_HOLD' };
		const id2 = exceptionId(m2.flow, m2.messageId);
		await failMessage(t.db, m2);
		await performAction(id2, { action: 'request_replay' }, users.operator);
		const request = (await auditFor('exception', id2)).at(-1)!;
		const data = JSON.parse(request.Data);
		// the approval row lands, then the process dies before delivering
		await appendAudit(async () => ({ actor: users.approver.email, role: 'approver', action: 'approve_replay', subjectType: 'exception', subjectId: id2, fromState: 'replay_requested', toState: 'replay_approved', payloadSha256: request.PayloadSha256, result: 'ok', data: { requestActionId: request.ActionId, endpointId: data.endpointId, url: data.url, binding: data.binding } }));
		const before = rx.processed.length;
		expect(await resumeStalledDeliveries(Date.now())).toEqual([]); // within the grace period
		expect(await resumeStalledDeliveries(Date.now() + 5 * MIN)).toEqual([id2]);
		expect(rx.processed.length - before).toBe(1);
		expect((await getExceptionRow(id2))!.state).toBe('replayed');
		expect(await resumeStalledDeliveries(Date.now() + 10 * MIN)).toEqual([]);
	});
});
