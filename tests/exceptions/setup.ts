/** A migrated chDB with the repo's runbooks and a signed-in cast of users, for exception tests. */
import { testDb, type TestDb } from '../helpers/db';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import type { SessionUser } from '../../src/lib/server/auth/types';

export const users = {
	viewer: { id: 'u1', email: 'exec@example.com', role: 'viewer', via: 'session' },
	operator: { id: 'u2', email: 'op@example.com', role: 'operator', via: 'session' },
	operator2: { id: 'u3', email: 'op2@example.com', role: 'operator', via: 'session' },
	approver: { id: 'u4', email: 'lead@example.com', role: 'approver', via: 'session' },
	approver2: { id: 'u5', email: 'lead2@example.com', role: 'approver', via: 'session' },
	admin: { id: 'u6', email: 'admin@example.com', role: 'admin', via: 'session' }
} satisfies Record<string, SessionUser>;

export async function exceptionsDb(overrides: Parameters<typeof testDb>[0] = {}): Promise<TestDb> {
	setRunbookFiles(undefined);
	return testDb({ runbooksDir: 'runbooks', deliveryBackoffMs: 5, deliveryAttempts: 3, ...overrides });
}
