/** API tokens and users through the API: shown once, stored hashed, act with their role, revocable. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { findUserForSignIn } from '../../src/lib/server/auth/users';
import { verifyPassword } from '../../src/lib/server/auth/password';
import { testApp, userWithRole, type TestApp } from '../helpers/app';

let app: TestApp;
beforeAll(async () => {
	app = await testApp();
});
afterAll(async () => app?.close());

const bearer = (token: string, init: RequestInit = {}) => (path: string) =>
	fetch(app.url + path, { redirect: 'manual', ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

describe('API tokens', () => {
	it('is shown once, stored as a hash, acts with its role and stops working when revoked', async () => {
		const admin = await userWithRole(app, 'admin');
		const created = await admin.client.fetch('/api/v1/tokens', { json: { name: 'report script', role: 'viewer' } });
		expect(created.status).toBe(201);
		const { token, id } = (await created.json()) as { token: string; id: string };
		expect(token).toMatch(/^sst_[a-z2-9]{16}\.[a-z2-9]{32}$/);

		const stored = await app.db.query<{ row: string; secret_hash: string }>(sql`SELECT toString(tuple(*)) AS row, secret_hash FROM api_tokens WHERE id = ${{ String: id }}`);
		expect(stored[0].row).not.toContain(token.split('.')[1]);
		expect(stored[0].secret_hash).toBe(createHash('sha256').update(token.split('.')[1]).digest('hex'));
		const listed = await (await admin.client.fetch('/api/v1/tokens')).text();
		expect(listed).toContain('report script');
		expect(listed).not.toContain(token.split('.')[1]);

		expect((await bearer(token)('/api/v1/lineage?key=SO-1')).status).toBe(200);
		// a viewer token may not administer
		const escalate = await bearer(token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', role: 'admin' }) })('/api/v1/tokens');
		expect(escalate.status).toBe(403);
		// bearer tokens are for the API, not pages
		expect((await bearer(token)('/lineage')).status).toBe(303);

		expect((await admin.client.fetch(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
		const after = await bearer(token)('/api/v1/lineage?key=SO-1');
		expect(after.status).toBe(401);
		expect(after.headers.get('www-authenticate')).toBe('Bearer');
	});

	it('refuses a token with the right id but a wrong secret, and junk', async () => {
		const admin = await userWithRole(app, 'admin');
		const { token } = (await (await admin.client.fetch('/api/v1/tokens', { json: { name: 'x', role: 'admin' } })).json()) as { token: string };
		const forged = token.replace(/\.[a-z2-9]+$/, '.' + 'b'.repeat(32));
		for (const t of [forged, 'sst_', 'nonsense', token + 'x']) expect((await bearer(t)('/api/v1/lineage?key=a')).status, t).toBe(401);
	});
});

describe('users through the API', () => {
	it('creates users with a role (admin only), refuses duplicates and weak passwords', async () => {
		const admin = await userWithRole(app, 'admin');
		const ok = await admin.client.fetch('/api/v1/users', { json: { email: 'New.Person@Example.com', password: 'a long passphrase', role: 'approver' } });
		expect(ok.status).toBe(201);
		expect((await ok.json()).user).toMatchObject({ email: 'new.person@example.com', role: 'approver', disabled: false });
		expect((await admin.client.fetch('/api/v1/users', { json: { email: 'new.person@example.com', password: 'a long passphrase', role: 'viewer' } })).status).toBe(409);
		expect((await admin.client.fetch('/api/v1/users', { json: { email: 'short@example.com', password: 'short', role: 'viewer' } })).status).toBe(400);
		expect((await admin.client.fetch('/api/v1/users', { json: { email: 'role@example.com', password: 'a long passphrase', role: 'root' } })).status).toBe(400);
		const u = await findUserForSignIn('new.person@example.com');
		expect(u!.passwordHash).toMatch(/^\$argon2id\$/);
	});

	it('does not let an admin lock themselves out', async () => {
		const admin = await userWithRole(app, 'admin');
		expect((await admin.client.fetch(`/api/v1/users/${admin.id}`, { method: 'PATCH', json: { disabled: true } })).status).toBe(400);
		expect((await admin.client.fetch(`/api/v1/users/${admin.id}`, { method: 'PATCH', json: { role: 'viewer' } })).status).toBe(400);
		expect((await admin.client.fetch('/lineage')).status).toBe(200);
	});
});

describe('first admin', () => {
	it('is created only when no user exists; without a password, a generated one is logged once', async () => {
		const lines: string[] = [];
		await ensureFirstAdmin({ adminEmail: 'second@example.com', adminPassword: 'ignored-because-users-exist' }, (l) => lines.push(l));
		expect(lines).toEqual([]);
		expect(await findUserForSignIn('second@example.com')).toBeNull();

		await app.db.exec(sql`TRUNCATE TABLE users`);
		await ensureFirstAdmin({}, (l) => lines.push(l));
		expect(lines).toHaveLength(1);
		const password = /one-time password (\S+)/.exec(lines[0])![1];
		const admin = await findUserForSignIn('admin@localhost');
		expect(admin!.role).toBe('admin');
		expect(await verifyPassword(admin!.passwordHash, password)).toBe(true);
		await ensureFirstAdmin({}, (l) => lines.push(l));
		expect(lines).toHaveLength(1);
	});
});
