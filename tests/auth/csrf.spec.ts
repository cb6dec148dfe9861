/** CSRF: forms (SvelteKit's origin check) and state-changing JSON (our hook); bearer tokens exempt. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { createApiToken } from '../../src/lib/server/auth/tokens';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';

let app: TestApp;
beforeAll(async () => {
	app = await testApp();
});
afterAll(async () => app?.close());

const EVIL = 'https://evil.example.net';
const userCount = async (email: string) =>
	(await app.db.query<{ n: number }>(sql`SELECT count() AS n FROM users WHERE email = ${{ String: email }}`))[0].n;

describe('JSON endpoints that change state', () => {
	it('refuses a cookie-authenticated POST from another origin, or without Origin', async () => {
		const admin = await userWithRole(app, 'admin');
		for (const origin of [EVIL, null]) {
			const email = `csrf-${origin ? 'evil' : 'none'}@example.com`;
			const r = await admin.client.fetch('/api/v1/users', { origin, json: { email, password: 'long enough password', role: 'admin' } });
			expect(r.status, String(origin)).toBe(403);
			expect(await userCount(email)).toBe(0);
		}
		const ok = await admin.client.fetch('/api/v1/users', { json: { email: 'csrf-same@example.com', password: 'long enough password', role: 'viewer' } });
		expect(ok.status).toBe(201);
	});

	it('refuses DELETE /api/v1/session from another origin (the session survives)', async () => {
		const u = await userWithRole(app, 'viewer');
		expect((await u.client.fetch('/api/v1/session', { method: 'DELETE', origin: EVIL })).status).toBe(403);
		expect((await u.client.fetch('/lineage')).status).toBe(200);
	});

	it('lets bearer-token requests through without Origin (no ambient credential)', async () => {
		// a token acts for a person: its creator
		const { token } = await createApiToken({ name: 'ci', role: 'admin', createdBy: (await userWithRole(app, 'admin')).id });
		const r = await fetch(`${app.url}/api/v1/tokens`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ name: 'made by ci', role: 'viewer' })
		});
		expect(r.status).toBe(201);
		expect((await r.json()).token).toMatch(/^sst_/);
	});

	it('lets a script without cookies sign in without an Origin header', async () => {
		const u = await userWithRole(app, 'viewer');
		const c = new Client(app.url);
		expect((await c.fetch('/api/v1/session', { origin: null, json: { email: u.email, password: u.password } })).status).toBe(200);
	});
});

describe('forms', () => {
	it('refuses a cross-site form post to an admin action', async () => {
		const admin = await userWithRole(app, 'admin');
		const email = 'form-csrf@example.com';
		const r = await admin.client.fetch('/admin/users?/create', { origin: EVIL, form: { email, password: 'long enough password', role: 'admin' } });
		expect(r.status).toBe(403);
		expect(await userCount(email)).toBe(0);
		const same = await admin.client.fetch('/admin/users?/create', { form: { email, password: 'long enough password', role: 'viewer' } });
		expect(same.status).toBe(200);
		expect(await userCount(email)).toBe(1);
	});

	it('refuses a cross-site sign-out and a cross-site sign-in', async () => {
		const u = await userWithRole(app, 'viewer');
		expect((await u.client.fetch('/logout', { origin: EVIL, form: {} })).status).toBe(403);
		expect((await u.client.fetch('/lineage')).status).toBe(200);
		const c = new Client(app.url);
		expect((await c.fetch('/login', { origin: EVIL, form: { email: u.email, password: u.password } })).status).toBe(403);
		expect(c.cookie).toBe('');
	});
});
