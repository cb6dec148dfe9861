/** Approvals under contention, approvals bound to payload + target, and the audit chain. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { deadLetter, failMessage, insertLogs, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed, updateEndpoint } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow } from '../../src/lib/server/exceptions/queries';
import { performAction } from '../../src/lib/server/exceptions/service';
import { appendAudit, auditFor, sealRow, type AuditRow } from '../../src/lib/server/audit/log';
import { verifyAudit } from '../../src/lib/server/audit/verify';
import { db, sql } from '../../src/lib/server/db';

let t: TestDb;
let rx: Receiver;
let secret = '';
let endpointId = '';
let onRequest: (() => Promise<void>) | null = null;
const m = (n: string): Msg => ({ flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: n, amount: 50_000, currency: 'USD', errorClass: 'validation' });
const idOf = (n: string) => exceptionId('order-to-cash', n);

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret, async () => onRequest?.());
	await setAllowed(rx.hostPort, true, users.admin);
	({ id: endpointId, secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

describe('approvals', () => {
	it('two approvers clicking at once produce one approval and one delivery', async () => {
		await failMessage(t.db, m('race'));
		await performAction(idOf('race'), { action: 'request_replay' }, users.operator);
		const before = rx.requests.length;
		const results = await Promise.allSettled([
			performAction(idOf('race'), { action: 'approve_replay' }, users.approver),
			performAction(idOf('race'), { action: 'approve_replay' }, users.approver2),
			performAction(idOf('race'), { action: 'approve_replay' }, users.admin)
		]);
		const ok = results.filter((r) => r.status === 'fulfilled');
		expect(ok).toHaveLength(1);
		for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409 });
		await (ok[0] as PromiseFulfilledResult<{ delivery?: Promise<unknown> }>).value.delivery;
		expect(rx.requests.length - before).toBe(1);
		const approvals = (await auditFor('exception', idOf('race'))).filter((r) => r.Action === 'approve_replay' && r.Result === 'ok');
		expect(approvals).toHaveLength(1);
	});

	it('a payload changed between request and approval voids the request', async () => {
		await failMessage(t.db, m('changed'), '{"v":1}');
		await performAction(idOf('changed'), { action: 'request_replay' }, users.operator);
		await insertLogs(t.db, [deadLetter(m('changed'), '{"v":2}')]);
		await expect(performAction(idOf('changed'), { action: 'approve_replay' }, users.approver)).rejects.toMatchObject({
			status: 409,
			reason: expect.stringContaining('payload or the target changed')
		});
	});

	it('a payload changed after approval (while delivery retries) voids the approval: nothing is processed', async () => {
		await failMessage(t.db, m('late'), '{"v":1}');
		await performAction(idOf('late'), { action: 'request_replay' }, users.operator);
		rx.statuses.push(503);
		onRequest = null;
		const processedBefore = rx.processed.length;
		// the first attempt gets 503; before that answer (so before the retry), a newer dead letter
		// changes the payload
		let changed = false;
		rx.beforeReply = async () => {
			if (changed) return;
			changed = true;
			await insertLogs(t.db, [deadLetter(m('late'), '{"v":2}', { at: 1000 })]);
		};
		try {
			const r = await performAction(idOf('late'), { action: 'approve_replay' }, users.approver);
			await r.delivery;
		} finally {
			rx.beforeReply = undefined;
		}
		expect(changed).toBe(true);
		expect(rx.processed.length).toBe(processedBefore);
		const history = await auditFor('exception', idOf('late'));
		expect(history.at(-1)).toMatchObject({ Action: 'approval_void', ToState: 'open' });
		expect((await getExceptionRow(idOf('late')))!.state).toBe('open');
	});

	it('a target changed after the request voids it too', async () => {
		await failMessage(t.db, m('target'));
		await performAction(idOf('target'), { action: 'request_replay' }, users.operator);
		await updateEndpoint(endpointId, { url: rx.url + '/v2' }, users.admin);
		await expect(performAction(idOf('target'), { action: 'approve_replay' }, users.approver)).rejects.toMatchObject({ status: 409 });
		await updateEndpoint(endpointId, { url: rx.url }, users.admin);
	});

	it('a replay under the policy threshold needs no approver', async () => {
		await failMessage(t.db, { ...m('small'), amount: 120 });
		const r = await performAction(idOf('small'), { action: 'request_replay' }, users.operator);
		expect(r.state).toBe('replay_approved');
		await r.delivery;
		const h = await auditFor('exception', idOf('small'));
		expect(h.map((x) => x.Action)).toEqual(['request_replay', 'approve_replay', 'delivered']);
		expect(h[1].Actor).toBe('policy:o2c-erp-create-sales-order');
	});
});

describe('audit chain', () => {
	it('serialises writers across processes: a row that lost its Seq to another writer is re-appended on top', async () => {
		let stolen = false;
		const row = await appendAudit(async () => {
			if (!stolen) {
				stolen = true;
				// another console process appends the same Seq between our read and our insert
				const head = (await db().query<AuditRow>(sql`SELECT * FROM audit_log ORDER BY Seq DESC LIMIT 1`))[0];
				const { Hash: _h, Mac: _m, ...rest } = head;
				const other = sealRow({ ...rest, Seq: head.Seq + 1, ActionId: 'other-process', Comment: 'from process B', PrevHash: head.Hash });
				await db().insertRaw('audit_log', Buffer.from(JSON.stringify(other) + '\n'), { format: 'JSONEachRow', dedupToken: `audit:${other.Seq}` });
			}
			return { actor: 'op@example.com', role: 'operator', action: 'comment', subjectType: 'exception', subjectId: 'x', result: 'ok' };
		});
		const rows = await db().query<AuditRow>(sql`SELECT * FROM audit_log WHERE Seq >= ${{ UInt64: row.Seq - 1 }} ORDER BY Seq`);
		expect(rows.map((r) => r.ActionId)).toEqual(['other-process', row.ActionId]);
		expect(await verifyAudit()).toMatchObject({ ok: true });
	});

	it('verification reports the first tampered row', async () => {
		const before = await verifyAudit();
		expect(before.ok).toBe(true);
		expect(before.rows).toBeGreaterThan(5);
		await t.db.exec(sql`ALTER TABLE audit_log UPDATE Comment = 'nothing to see' WHERE Seq = 3 SETTINGS mutations_sync = 1`);
		await t.db.exec(sql`ALTER TABLE audit_log UPDATE Actor = 'someone-else' WHERE Seq = 5 SETTINGS mutations_sync = 1`);
		const after = await verifyAudit();
		expect(after).toMatchObject({ ok: false, broken: { seq: 3 } });
		expect(after.broken!.reason).toContain('altered');
	});

	it('a deleted row is reported as a missing link', async () => {
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq <= 5 SETTINGS mutations_sync = 1`);
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { seq: 1, reason: expect.stringContaining('missing') } });
	});
});

describe('bulk approvals', () => {
	it('the dry run leaves out replays the approver requested themselves', async () => {
		const { dryRun } = await import('../../src/lib/server/exceptions/bulk');
		await failMessage(t.db, m('bulk-a'));
		await failMessage(t.db, m('bulk-b'));
		await performAction(idOf('bulk-a'), { action: 'request_replay' }, users.operator);
		await performAction(idOf('bulk-b'), { action: 'request_replay' }, users.approver);
		const plan = await dryRun([idOf('bulk-a'), idOf('bulk-b')], 'approve_replay', users.approver);
		expect(plan.eligible).toEqual([idOf('bulk-a')]);
		expect(plan.invalid).toEqual([{ id: idOf('bulk-b'), reason: expect.stringContaining('you requested this replay') }]);
	});
});

describe('bulk replay requests', () => {
	it('the dry run separates replays sent now from those waiting for an approver', async () => {
		const { dryRun } = await import('../../src/lib/server/exceptions/bulk');
		await failMessage(t.db, { ...m('bulk-small'), amount: 50 });
		await failMessage(t.db, m('bulk-large'));
		const plan = await dryRun([idOf('bulk-small'), idOf('bulk-large')], 'request_replay', users.operator);
		expect(plan).toMatchObject({ willSend: 1, awaitApproval: 1, eligible: [idOf('bulk-small'), idOf('bulk-large')] });
	});
});
