/**
 * Edit-then-replay on real chDB: an operator corrects the dead-letter payload with the replay
 * request; the approval binds to the corrected payload's hash (and the original's), the approver's
 * reviewed hash must match, the delivered payload is the corrected one, and the audit keeps the
 * original hash, the corrected hash and the corrected body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { deadLetter, failMessage, insertLogs, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { sha256Hex } from '../../src/lib/server/audit/canonical';
import { auditFor } from '../../src/lib/server/audit/log';
import { checkEdit } from '../../src/lib/server/exceptions/binding';
import { exceptionDetail } from '../../src/lib/server/exceptions/detail';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow } from '../../src/lib/server/exceptions/queries';
import { performAction } from '../../src/lib/server/exceptions/service';

let t: TestDb;
let rx: Receiver;
let secret = '';

const base: Omit<Msg, 'messageId' | 'correlationId'> = { flow: 'order-to-cash', step: 'erp.create-sales-order', amount: 25_000, currency: 'EUR', errorClass: 'validation', errorCode: 'SHIPTO_MISSING' };
const msgA: Msg = { ...base, messageId: 'edit-1', correlationId: 'SO-E1' };
const msgB: Msg = { ...base, messageId: 'edit-2', correlationId: 'SO-E2' };
const idA = exceptionId(msgA.flow, msgA.messageId);
const idB = exceptionId(msgB.flow, msgB.messageId);
const ORIGINAL = '{"order":"SO-E1","shipTo":null}';
const CORRECTED = '{"order":"SO-E1","shipTo":"DE-80331"}';

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mule', url: rx.url, flows: ['order-to-cash'] }, users.admin));
	await failMessage(t.db, msgA, ORIGINAL);
	await failMessage(t.db, msgB, '{"order":"SO-E2","shipTo":null}');
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

describe('edit-then-replay', () => {
	it('the same JSON document, formatted differently, is not a correction', () => {
		expect(checkEdit(ORIGINAL, JSON.stringify(JSON.parse(ORIGINAL), null, 2))).toBeNull();
		expect(checkEdit(ORIGINAL, CORRECTED)).toBe(CORRECTED);
	});

	it('refuses a correction that is not JSON when the dead letter is JSON, and audits the refusal', async () => {
		await expect(performAction(idA, { action: 'request_replay', payload: '{"order": ' }, users.operator)).rejects.toMatchObject({ status: 400 });
		const h = await auditFor('exception', idA);
		expect(h.at(-1)!.Result).toMatch(/^refused: the edited payload is not valid JSON/);
		expect((await getExceptionRow(idA))!.state).toBe('open');
	});

	it('an edited payload goes with a replay request only', async () => {
		await expect(performAction(idA, { action: 'retry', payload: CORRECTED }, users.operator)).rejects.toMatchObject({ status: 400 });
	});

	it('a correction made on an older dead letter is refused (payloadBase)', async () => {
		await expect(performAction(idA, { action: 'request_replay', payload: CORRECTED, payloadBase: sha256Hex('an older dead letter') }, users.operator)).rejects.toMatchObject({
			status: 409,
			reason: expect.stringMatching(/newer dead letter arrived while you edited/)
		});
	});

	it('the request records the original hash, the corrected hash and the corrected body', async () => {
		const r = await performAction(idA, { action: 'request_replay', comment: 'ship-to added', payload: CORRECTED, payloadBase: sha256Hex(ORIGINAL) }, users.operator);
		expect(r.state).toBe('replay_requested');
		const req = (await auditFor('exception', idA)).filter((h) => h.Action === 'request_replay' && h.Result === 'ok').at(-1)!;
		expect(req.PayloadSha256).toBe(sha256Hex(CORRECTED));
		const data = JSON.parse(req.Data);
		expect(data).toMatchObject({ edited: true, originalSha256: sha256Hex(ORIGINAL), editedPayload: CORRECTED });
		// the approver's page shows the correction against the original
		const d = await exceptionDetail(idA, users.approver);
		expect(d!.pending).toMatchObject({ edited: CORRECTED, payloadSha256: sha256Hex(CORRECTED), originalSha256: sha256Hex(ORIGINAL) });
		expect(d!.actions).toContain('approve_replay');
		expect(d!.recommended).toBe('approve_replay');
	});

	it('an approval of another payload (a stale review) cannot deliver this one', async () => {
		await expect(performAction(idA, { action: 'approve_replay', payloadSha256: sha256Hex(ORIGINAL) }, users.approver)).rejects.toMatchObject({ status: 409 });
		expect((await getExceptionRow(idA))!.state).toBe('replay_requested');
		expect(rx.requests).toHaveLength(0);
	});

	it('the approval of the reviewed correction delivers exactly the corrected payload', async () => {
		const r = await performAction(idA, { action: 'approve_replay', comment: 'diff checked', payloadSha256: sha256Hex(CORRECTED) }, users.approver);
		expect(r.state).toBe('replay_approved');
		await r.delivery;
		expect(rx.requests).toHaveLength(1);
		expect(rx.requests[0].body.data).toMatchObject({ action: 'replay', exceptionId: idA, payload: CORRECTED, payloadSha256: sha256Hex(CORRECTED), requestedBy: users.operator.email, approvedBy: users.approver.email });
		const history = await auditFor('exception', idA);
		const approval = history.find((h) => h.Action === 'approve_replay' && h.Result === 'ok')!;
		expect(approval.PayloadSha256).toBe(sha256Hex(CORRECTED));
		expect(JSON.parse(approval.Data)).toMatchObject({ edited: true, originalSha256: sha256Hex(ORIGINAL) });
		expect(history.map((h) => h.Action)).toContain('delivered');
	});

	it('a new dead letter after the request voids the approval of the correction', async () => {
		const corrected = '{"order":"SO-E2","shipTo":"FR-75001"}';
		await performAction(idB, { action: 'request_replay', payload: corrected }, users.operator);
		// the middleware dead-letters a newer version of the message: the correction was made against the old one
		await insertLogs(t.db, [deadLetter(msgB, '{"order":"SO-E2","shipTo":null,"v":2}', { at: 5_000 })]);
		await expect(performAction(idB, { action: 'approve_replay', payloadSha256: sha256Hex(corrected) }, users.approver)).rejects.toMatchObject({
			status: 409,
			reason: expect.stringMatching(/changed since the replay was requested/)
		});
		expect(rx.requests).toHaveLength(1);
	});
});
