/**
 * End to end on real chDB: failure telemetry → exception → replay requested by an operator →
 * approved by an approver → delivered once, signed → the middleware's success telemetry resolves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { failMessage, insertSpans, span, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow } from '../../src/lib/server/exceptions/queries';
import { performAction } from '../../src/lib/server/exceptions/service';
import { deliveryLog } from '../../src/lib/server/actions/delivery';
import { auditFor } from '../../src/lib/server/audit/log';

let t: TestDb;
let rx: Receiver;
let secret = '';

const msg: Msg = { flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: 'msg-1001', correlationId: 'SO-1001', amount: 25_000, currency: 'EUR', errorClass: 'validation', errorCode: 'SHIPTO_MISSING' };
const id = exceptionId(msg.flow, msg.messageId);

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(
		() => secret,
		// the middleware re-processes the payload and reports success for the same step and message
		async (r) => {
			const d = r.body.data;
			await insertSpans(t.db, [span({ ...msg, messageId: d.messageId }, { outcome: 'success', at: 1000 })]);
		}
	);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mule', url: rx.url, flows: ['order-to-cash'] }, users.admin));
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

describe('replay, end to end', () => {
	it('derives an open exception with its business context from failure telemetry', async () => {
		await failMessage(t.db, msg, '{"order":"SO-1001","total":25000}');
		const e = await getExceptionRow(id);
		expect(e).toMatchObject({ flow: 'order-to-cash', step: 'erp.create-sales-order', correlationId: 'SO-1001', amount: 25_000, currency: 'EUR', errorClass: 'validation', errorCode: 'SHIPTO_MISSING', state: 'open', attempts: 1, deadLetters: 1 });
	});

	it('an operator requests the replay; it waits for an approver (amount above the threshold)', async () => {
		const r = await performAction(id, { action: 'request_replay', comment: 'ship-to fixed in ERP' }, users.operator);
		expect(r.state).toBe('replay_requested');
		expect(r.delivery).toBeUndefined();
		expect((await getExceptionRow(id))!.state).toBe('replay_requested');
		expect(rx.requests).toHaveLength(0);
	});

	it('the requester cannot approve their own request', async () => {
		await expect(performAction(id, { action: 'approve_replay' }, { ...users.operator, role: 'admin' })).rejects.toMatchObject({ status: 403 });
	});

	it('an approver approves; it is delivered once, signed, and the success telemetry resolves it', async () => {
		const r = await performAction(id, { action: 'approve_replay', comment: 'checked with sales ops' }, users.approver);
		expect(r.state).toBe('replay_approved');
		await r.delivery;
		expect(rx.badSignatures).toBe(0);
		expect(rx.requests).toHaveLength(1);
		const got = rx.requests[0];
		expect(got.body.type).toBe('syncscope.action.replay');
		expect(got.body.data).toMatchObject({ action: 'replay', exceptionId: id, messageId: 'msg-1001', payload: '{"order":"SO-1001","total":25000}', requestedBy: 'op@example.com', approvedBy: 'lead@example.com' });
		expect(got.headers['idempotency-key']).toBe(got.headers['webhook-id']);
		const e = await getExceptionRow(id);
		expect(e!.state).toBe('resolved');
		expect(e!.resolvedTraceId).toMatch(/^[0-9a-f]{32}$/);
		const log = await deliveryLog(id);
		expect(log.map((l) => l.Outcome)).toEqual(['delivered']);
		const history = await auditFor('exception', id);
		expect(history.map((h) => `${h.Action}:${h.Result}`)).toEqual([
			'request_replay:ok',
			'approve_replay:refused: you requested this replay; a different person must approve or reject it (this applies to admins too)',
			'approve_replay:ok',
			'delivered:ok'
		]);
	});

	it('a further approval is refused: the request was already decided', async () => {
		await expect(performAction(id, { action: 'approve_replay' }, users.approver2)).rejects.toMatchObject({ status: 409 });
		expect(rx.requests).toHaveLength(1);
	});
});
