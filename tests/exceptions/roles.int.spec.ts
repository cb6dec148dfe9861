/** Role matrix: every action × every role, on exceptions in the state the action starts from. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { failMessage, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { performAction, type ActionInput } from '../../src/lib/server/exceptions/service';
import { ACTIONS, type ActionName } from '../../src/lib/server/exceptions/state';
import type { SessionUser } from '../../src/lib/server/auth/types';

let t: TestDb;
let rx: Receiver;
let secret = '';
const roles = ['viewer', 'operator', 'approver', 'admin'] as const;
// inventory-sync has no runbook here: every action is allowed by policy, so only the role decides
const msgFor = (role: string, action: string): Msg => ({ flow: 'inventory-sync', step: 'erp.update-onhand', messageId: `${role}-${action}`, errorClass: 'validation' });
const allowed: Record<(typeof roles)[number], (a: ActionName) => boolean> = {
	viewer: () => false,
	operator: (a) => a !== 'approve_replay' && a !== 'reject_replay',
	approver: () => true,
	admin: () => true
};
const inputs: Partial<Record<ActionName, Partial<ActionInput>>> = {
	assign: { assignee: 'wms-team' },
	reject_replay: { comment: 'not needed' },
	discard: { comment: 'duplicate order' }
};

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
	for (const role of roles) for (const action of ACTIONS) await failMessage(t.db, msgFor(role, action));
	// bring each exception to the state its action starts from (done by someone else)
	for (const role of roles) {
		for (const action of ACTIONS) {
			const id = exceptionId('inventory-sync', `${role}-${action}`);
			if (action === 'release') await performAction(id, { action: 'quarantine' }, users.operator2);
			if (action === 'approve_replay' || action === 'reject_replay') await performAction(id, { action: 'request_replay' }, users.operator2);
		}
	}
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

describe('role matrix', () => {
	for (const role of roles) {
		for (const action of ACTIONS) {
			const ok = allowed[role](action);
			it(`${role} ${ok ? 'may' : 'may not'} ${action}`, async () => {
				const id = exceptionId('inventory-sync', `${role}-${action}`);
				const user: SessionUser = { ...users[role === 'viewer' ? 'viewer' : role], role };
				const p = performAction(id, { action, comment: 'matrix', ...inputs[action] }, user);
				if (ok) {
					const r = await p;
					expect(r.action).toBe(action);
					await r.delivery;
				} else {
					await expect(p).rejects.toMatchObject({ status: 403 });
				}
			});
		}
	}

	it('an invalid transition is 409 with the reason', async () => {
		const id = exceptionId('inventory-sync', 'operator-comment');
		await expect(performAction(id, { action: 'release' }, users.operator)).rejects.toMatchObject({
			status: 409,
			reason: expect.stringContaining('allowed from: quarantined')
		});
	});

	it('an unknown exception is 404', async () => {
		await expect(performAction('0'.repeat(32), { action: 'comment', comment: 'x' }, users.operator)).rejects.toMatchObject({ status: 404 });
	});
});
