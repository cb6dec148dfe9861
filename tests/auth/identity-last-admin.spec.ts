/**
 * The last enabled admin stays (issue 14, finding 13) on every path: the users API and the console
 * form, by session or by API token (which acts as its creator), for role changes, disabling and
 * deleting, and when two admins take each other's admin away at the same moment (real parallel
 * requests). Each test starts from an empty users table.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testApp, userWithRole, type TestApp } from '../helpers/app';
import { sql } from '../../src/lib/server/db';
import { deleteUser, updateUser } from '../../src/lib/server/auth/users';

let app: TestApp;
type Person = Awaited<ReturnType<typeof userWithRole>>;

beforeAll(async () => {
	app = await testApp();
}, 60_000);
afterAll(async () => app?.close());
beforeEach(async () => {
	await app.db.exec(sql`TRUNCATE TABLE users`);
	await app.db.exec(sql`TRUNCATE TABLE api_tokens`);
});

async function enabledAdmins(): Promise<string[]> {
	const rows = await app.db.query<{ email: string }>(sql`
		SELECT argMax(email, version) AS email FROM users GROUP BY id
		HAVING argMax(role, version) = 'admin' AND argMax(disabled, version) = 0 AND argMax(deleted, version) = 0`);
	return rows.map((r) => r.email);
}

async function tokenOf(p: Person): Promise<string> {
	const r = await p.client.fetch('/api/v1/tokens', { json: { name: 'admin script', role: 'admin' } });
	expect(r.status).toBe(201);
	return ((await r.json()) as { token: string }).token;
}

const api = (token: string, path: string, method: string, json?: unknown) =>
	fetch(app.url + path, {
		method,
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
		body: json === undefined ? undefined : JSON.stringify(json)
	});

/** A console form post as `use:enhance` sends it; answers { type, status }. */
async function form(p: Person, action: 'update' | 'delete', fields: Record<string, string>): Promise<{ type: string; status: number }> {
	const r = await p.client.fetch(`/admin/users?/${action}`, { form: fields, headers: { accept: 'application/json', 'x-sveltekit-action': 'true' } });
	return (await r.json()) as { type: string; status: number };
}

const succeeded = (r: number | { type: string }) => (typeof r === 'number' ? r >= 200 && r < 300 : r.type === 'success');

describe('the last admin', () => {
	it("an admin's API token cannot demote, disable or delete its creator when they are the last admin", async () => {
		const alice = await userWithRole(app, 'admin');
		const token = await tokenOf(alice);
		expect((await api(token, `/api/v1/users/${alice.id}`, 'PATCH', { role: 'viewer' })).status).toBe(400);
		expect((await api(token, `/api/v1/users/${alice.id}`, 'PATCH', { disabled: true })).status).toBe(400);
		expect((await api(token, `/api/v1/users/${alice.id}`, 'DELETE')).status).toBe(400);
		expect(await enabledAdmins()).toEqual([alice.email]);
	});

	it('two admins demoting each other at once (one by API token, one in the console form): one wins, one admin stays', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const bobToken = await tokenOf(bob);
		const [a, b] = await Promise.all([
			form(alice, 'update', { id: bob.id, role: 'viewer' }),
			api(bobToken, `/api/v1/users/${alice.id}`, 'PATCH', { role: 'viewer' }).then((r) => r.status)
		]);
		expect([a, b].filter(succeeded)).toHaveLength(1);
		expect([401, 409]).toContain(succeeded(a) ? b : (a as { status: number }).status);
		expect(await enabledAdmins()).toHaveLength(1);
	});

	it('two admins disabling each other at once through the API: one wins, one admin stays', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const statuses = await Promise.all([
			alice.client.fetch(`/api/v1/users/${bob.id}`, { method: 'PATCH', json: { disabled: true } }).then((r) => r.status),
			bob.client.fetch(`/api/v1/users/${alice.id}`, { method: 'PATCH', json: { disabled: true } }).then((r) => r.status)
		]);
		expect(statuses.filter(succeeded)).toHaveLength(1);
		expect([401, 409]).toContain(statuses.find((s) => !succeeded(s)));
		expect(await enabledAdmins()).toHaveLength(1);
	});

	it('deleting and demoting at once (both by API token): one wins, one admin stays', async () => {
		const [alice, bob] = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const [aliceToken, bobToken] = [await tokenOf(alice), await tokenOf(bob)];
		const statuses = await Promise.all([
			api(bobToken, `/api/v1/users/${alice.id}`, 'DELETE').then((r) => r.status),
			api(aliceToken, `/api/v1/users/${bob.id}`, 'PATCH', { role: 'operator' }).then((r) => r.status)
		]);
		expect(statuses.filter(succeeded)).toHaveLength(1);
		expect([401, 409]).toContain(statuses.find((s) => !succeeded(s)));
		expect(await enabledAdmins()).toHaveLength(1);
	});

	it('whatever asks (here the domain, as another path would), the last admin is refused with 409 and the reason', async () => {
		const alice = await userWithRole(app, 'admin');
		await expect(updateUser(alice.id, { role: 'operator' })).rejects.toMatchObject({ status: 409, message: expect.stringContaining('last enabled admin') });
		await expect(updateUser(alice.id, { disabled: true })).rejects.toMatchObject({ status: 409 });
		await expect(deleteUser(alice.id)).rejects.toMatchObject({ status: 409 });
		expect(await enabledAdmins()).toEqual([alice.email]);
		// with a second admin, each change goes through
		const bob = await userWithRole(app, 'admin');
		await updateUser(alice.id, { role: 'operator' });
		expect(await enabledAdmins()).toEqual([bob.email]);
	});

	it('many concurrent demotions of every admin: exactly one admin stays', async () => {
		const admins = [await userWithRole(app, 'admin'), await userWithRole(app, 'admin'), await userWithRole(app, 'admin'), await userWithRole(app, 'admin')];
		const results = await Promise.allSettled(admins.map((a) => updateUser(a.id, { role: 'approver' })));
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
		expect(await enabledAdmins()).toHaveLength(1);
	});
});
