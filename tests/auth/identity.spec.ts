/**
 * Identity is a person (issue 14, findings 3 and 4): an API token acts for the user who created it,
 * in every rule (four-eyes on replays; the audit names the person and the token), and it dies with its
 * creator's standing: disabled, deleted, or no longer holding the token's role. Through the built
 * console, with real requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, userWithRole, Client, type TestApp } from '../helpers/app';
import { failMessage, type Msg } from '../exceptions/telemetry';
import { startReceiver, type Receiver } from '../exceptions/receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { auditFor } from '../../src/lib/server/audit/log';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import { createApiToken, listApiTokens } from '../../src/lib/server/auth/tokens';
import { sql } from '../../src/lib/server/db';
import { randomString, sha256Hex } from '../../src/lib/server/auth/secrets';
import { chTime } from '../../src/lib/server/auth/clock';

let app: TestApp;
let rx: Receiver;
let secret = '';
type Person = Awaited<ReturnType<typeof userWithRole>>;

beforeAll(async () => {
	setRunbookFiles(undefined);
	app = await testApp({ runbooksDir: 'runbooks', deliveryBackoffMs: 5, deliveryAttempts: 3 });
	rx = await startReceiver(() => secret);
	const admin = { email: 'setup@example.com', role: 'admin' };
	await setAllowed(rx.hostPort, true, admin);
	({ secret } = await createEndpoint({ name: 'mw', url: rx.url }, admin));
}, 60_000);
afterAll(async () => {
	await rx?.close();
	await app?.close();
});

async function tokenOf(p: Person, role: string, name = `${role} script`): Promise<string> {
	const r = await p.client.fetch('/api/v1/tokens', { json: { name, role } });
	expect(r.status, await r.clone().text()).toBe(201);
	return ((await r.json()) as { token: string }).token;
}

const bearer = (token: string, path: string, init: { method?: string; json?: unknown } = {}) =>
	fetch(app.url + path, {
		method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'),
		headers: { authorization: `Bearer ${token}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
		body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
		redirect: 'manual'
	});

const newAdmin = (token: string, email: string) => bearer(token, '/api/v1/users', { json: { email, password: 'plum-orbit-71-lantern-quay', role: 'admin' } });

describe('a token acts for its creator', () => {
	const msg: Msg = { flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: 'SO-OWN-1', amount: 75_000, currency: 'USD', errorClass: 'validation' };
	const id = exceptionId(msg.flow, msg.messageId);

	it('an admin cannot approve their own replay with a token they created; the audit names the person and the token', async () => {
		await failMessage(app.db, msg);
		const admin = await userWithRole(app, 'admin');
		const token = await tokenOf(admin, 'admin', 'release bot');
		const request = await admin.client.fetch(`/api/v1/exceptions/${id}/actions`, { json: { action: 'request_replay', comment: 'ship it' } });
		expect(await request.json()).toMatchObject({ state: 'replay_requested' });

		const own = await bearer(token, `/api/v1/exceptions/${id}/actions`, { json: { action: 'approve_replay', comment: 'me again' } });
		expect(own.status).toBe(403);
		expect((await own.json()).error).toContain('a different person must approve');
		const refused = (await auditFor('exception', id)).find((r) => r.Action === 'approve_replay')!;
		expect(refused).toMatchObject({ Actor: admin.email, Role: 'admin', Result: expect.stringMatching(/^refused: you requested this replay/) });
		expect(JSON.parse(refused.Data)).toEqual({ via: 'token:release bot' });

		// an action the token may take is recorded as the person, through the token
		const comment = await bearer(token, `/api/v1/exceptions/${id}/actions`, { json: { action: 'comment', comment: 'waiting for credit control' } });
		expect(comment.status).toBe(200);
		const row = (await auditFor('exception', id)).find((r) => r.Action === 'comment')!;
		expect(row.Actor).toBe(admin.email);
		expect(JSON.parse(row.Data)).toEqual({ via: 'token:release bot' });

		// a different person approves: delivered
		const approver = await userWithRole(app, 'approver');
		const ok = await approver.client.fetch(`/api/v1/exceptions/${id}/actions`, { json: { action: 'approve_replay' } });
		expect(await ok.json()).toMatchObject({ state: 'replay_approved' });
	});

	it('the token list names the person a token acts for', async () => {
		const admin = await userWithRole(app, 'admin');
		await tokenOf(admin, 'viewer', 'kpi export');
		const listed = (await (await admin.client.fetch('/api/v1/tokens')).json()) as { tokens: { name: string; createdBy: string; status: string }[] };
		expect(listed.tokens.find((t) => t.name === 'kpi export')).toMatchObject({ createdBy: admin.email, status: 'active' });
	});

	it('a token never gets more than its creator has', async () => {
		const operator = await userWithRole(app, 'operator');
		await expect(createApiToken({ name: 'escalate', role: 'admin', createdBy: operator.id })).rejects.toMatchObject({ status: 400 });
		await expect(createApiToken({ name: 'nobody', role: 'viewer', createdBy: 'no-such-user' })).rejects.toMatchObject({ status: 400 });
	});
});

describe("a token dies with its creator's standing", () => {
	it('disabled: the token of a disabled admin cannot create an admin, and stays dead when they are enabled again', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const token = await tokenOf(alice, 'admin');
		expect((await bearer(token, '/api/v1/users')).status).toBe(200);
		expect((await bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { disabled: true } })).status).toBe(200);

		const made = await newAdmin(token, 'mallory@example.com');
		expect(made.status).toBe(401);
		const [n] = await app.db.query<{ n: number }>(sql`SELECT count() AS n FROM users WHERE email = 'mallory@example.com'`);
		expect(Number(n.n)).toBe(0);

		expect((await bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { disabled: false } })).status).toBe(200);
		expect((await bearer(token, '/api/v1/users')).status).toBe(401);
		expect((await listApiTokens()).find((t) => t.createdBy === alice.email)).toMatchObject({ status: 'revoked' });
	});

	it('demoted: tokens above the new role stop, tokens within it keep working', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const adminToken = await tokenOf(alice, 'admin');
		const operatorToken = await tokenOf(alice, 'operator');
		expect((await bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { role: 'operator' } })).status).toBe(200);
		expect((await newAdmin(adminToken, 'mallory2@example.com')).status).toBe(401);
		expect((await bearer(adminToken, '/api/v1/exceptions')).status).toBe(401);
		expect((await bearer(operatorToken, '/api/v1/exceptions')).status).toBe(200);
	});

	it('a token whose creator was demoted is refused even before it is revoked (checked on every request)', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const token = await tokenOf(alice, 'admin');
		// the demotion written straight to the table, as another process (or a crash before revocation) could leave it
		await app.db.exec(sql`INSERT INTO users (id, email, password_hash, role, disabled, created_at, updated_at, version, deleted) SELECT id, email, password_hash, 'viewer' AS role, disabled, created_at, now64(3) AS updated_at,
			toUInt64(toUnixTimestamp64Micro(now64(6))) + 1000000 AS version, deleted FROM users WHERE id = ${{ String: alice.id }} ORDER BY version DESC LIMIT 1`);
		expect((await bearer(token, '/api/v1/users')).status).toBe(401);
		expect((await bob.client.fetch('/api/v1/users')).status).toBe(200);
	});

	it('deleted: sessions and tokens end, sign-in fails, and a new user with the same email is someone else', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const token = await tokenOf(alice, 'admin');
		expect((await bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'DELETE' })).status).toBe(204);
		expect((await bearer(token, '/api/v1/users')).status).toBe(401);
		expect((await alice.client.fetch('/api/v1/users')).status).toBe(401);
		expect((await new Client(app.url).signIn(alice.email, alice.password)).status).toBe(401);
		const listed = (await (await bob.client.fetch('/api/v1/users')).json()) as { users: { id: string }[] };
		expect(listed.users.map((u) => u.id)).not.toContain(alice.id);

		const again = await bob.client.fetch('/api/v1/users', { json: { email: alice.email, password: 'another long passphrase 42', role: 'admin' } });
		expect(again.status).toBe(201);
		expect((await bearer(token, '/api/v1/users')).status).toBe(401);
	});

	it('tokens made before tokens recorded their creator act for the user who had that email then; one made by a token acts for nobody', async () => {
		const alice = await userWithRole(app, 'admin');
		// created_by held the creator's email then, or `token:<name>` when a token made the token
		const legacy = async (id: string, createdBy: string) => {
			const secret = randomString(32);
			await app.db.insertRows('api_tokens', [
				{ id, name: id, secret_hash: sha256Hex(secret), role: 'operator', created_by: createdBy, created_at: chTime(Date.now()), revoked: 0, version: Date.now() * 1000 }
			]);
			return `sst_${id}.${secret}`;
		};
		const byEmail = await legacy(randomString(16), alice.email);
		const byToken = await legacy(randomString(16), 'token:ci');
		expect((await bearer(byEmail, '/api/v1/exceptions')).status).toBe(200);
		expect((await bearer(byToken, '/api/v1/exceptions')).status).toBe(401);
		// the email's user is disabled: the legacy token dies with them
		const bob = await userWithRole(app, 'admin');
		expect((await bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { disabled: true } })).status).toBe(200);
		expect((await bearer(byEmail, '/api/v1/exceptions')).status).toBe(401);
	});
});
