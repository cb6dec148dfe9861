/** Sessions, cookies and sign-out against the built app (real hooks, routes and chDB). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { setClock } from '../../src/lib/server/auth/clock';
import { createUser } from '../../src/lib/server/auth/users';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';
import { createHash } from 'node:crypto';

let app: TestApp;
beforeAll(async () => {
	app = await testApp({ sessionIdleMinutes: 30, sessionAbsoluteHours: 8 });
});
afterAll(async () => {
	setClock();
	await app?.close();
});

function cookieFlags(r: Response): string {
	return r.headers.getSetCookie().find((c) => c.startsWith('syncscope_session=')) ?? '';
}

describe('sign-in and cookies', () => {
	it('sets an HttpOnly, SameSite=Lax session cookie with an id.secret token', async () => {
		await createUser({ email: 'flags@example.com', password: 'correct horse battery', role: 'viewer' });
		const c = new Client(app.url);
		const r = await c.signIn('flags@example.com', 'correct horse battery');
		expect(r.status).toBe(200);
		const flags = cookieFlags(r);
		expect(flags).toMatch(/HttpOnly/i);
		expect(flags).toMatch(/SameSite=Lax/i);
		expect(flags).toMatch(/Path=\//);
		// plain http on loopback: Secure would make the browser drop the cookie
		expect(flags).not.toMatch(/Secure/i);
		expect(c.cookie).toMatch(/^syncscope_session=[a-z2-9]{24}\.[a-z2-9]{32}$/);
	});

	it('marks the cookie Secure when the console is not on plain-http loopback', async () => {
		await createUser({ email: 'secure@example.com', password: 'correct horse battery', role: 'viewer' });
		const r = await fetch(`${app.url}/api/v1/session`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-forwarded-host': 'console.example.com', origin: 'https://console.example.com', 'x-forwarded-proto': 'https' },
			body: JSON.stringify({ email: 'secure@example.com', password: 'correct horse battery' })
		});
		expect(r.status).toBe(200);
		expect(cookieFlags(r)).toMatch(/Secure/i);
	});

	it('stores only the SHA-256 of the secret, never the token', async () => {
		const { client } = await userWithRole(app, 'operator');
		const token = decodeURIComponent(client.cookie.split('=')[1]);
		const [id, secret] = token.split('.');
		const rows = await app.db.query<{ secret_hash: string; all: string }>(
			sql`SELECT secret_hash, toString(tuple(*)) AS all FROM sessions WHERE id = ${{ String: id }}`
		);
		expect(rows.length).toBeGreaterThan(0);
		expect(rows[0].secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
		for (const r of rows) expect(r.all).not.toContain(secret);
	});

	it('refuses a token whose secret is wrong (same id)', async () => {
		const { client } = await userWithRole(app, 'viewer');
		const [id] = decodeURIComponent(client.cookie.split('=')[1]).split('.');
		const forged = new Client(app.url);
		forged.cookie = `syncscope_session=${id}.${'a'.repeat(32)}`;
		const r = await forged.fetch('/api/v1/lineage?key=x');
		expect(r.status).toBe(401);
	});
});

describe('session fixation', () => {
	it('issues a new token at sign-in; a planted token is never upgraded', async () => {
		const { email, password } = await userWithRole(app, 'viewer');
		const c = new Client(app.url);
		c.cookie = 'syncscope_session=planted0000000000000000.planted0000000000000000000000000';
		const planted = c.cookie;
		expect((await c.signIn(email, password)).status).toBe(200);
		expect(c.cookie).not.toBe(planted);
		const attacker = new Client(app.url);
		attacker.cookie = planted;
		expect((await attacker.fetch('/lineage')).status).toBe(303);
		// signing in twice gives two different sessions
		const first = c.cookie;
		await c.signIn(email, password);
		expect(c.cookie).not.toBe(first);
	});
});

describe('timeouts (injected clock)', () => {
	it('ends a session after the idle timeout, and slides while in use', async () => {
		let t = Date.now();
		setClock(() => t);
		try {
			const { client } = await userWithRole(app, 'viewer');
			// active every 20 minutes for 2 hours: the 30-minute idle timeout never fires
			for (let i = 0; i < 6; i++) {
				t += 20 * 60_000;
				const r = await client.fetch('/lineage');
				expect(r.status, `request ${i}`).toBe(200);
			}
			t += 31 * 60_000;
			expect((await client.fetch('/lineage')).status).toBe(303);
		} finally {
			setClock();
		}
	});

	it('ends a session at the absolute cap however active it is', async () => {
		let t = Date.now();
		setClock(() => t);
		try {
			const { client } = await userWithRole(app, 'viewer');
			for (let minutes = 0; minutes < 8 * 60 - 20; minutes += 20) {
				t += 20 * 60_000;
				expect((await client.fetch('/lineage')).status).toBe(200);
			}
			t += 25 * 60_000; // now past 8 h since sign-in, 25 min since last use
			expect((await client.fetch('/lineage')).status).toBe(303);
		} finally {
			setClock();
		}
	});
});

describe('ending sessions', () => {
	it('sign-out (form and API) ends the session on the server', async () => {
		const { client } = await userWithRole(app, 'viewer');
		const stolen = client.cookie;
		const r = await client.fetch('/logout', { form: {} });
		expect(r.status).toBe(303);
		expect(r.headers.get('location')).toBe('/login');
		const replay = new Client(app.url);
		replay.cookie = stolen;
		expect((await replay.fetch('/lineage')).status).toBe(303);

		const b = await userWithRole(app, 'viewer');
		const stolenB = b.client.cookie;
		expect((await b.client.fetch('/api/v1/session', { method: 'DELETE' })).status).toBe(204);
		const replayB = new Client(app.url);
		replayB.cookie = stolenB;
		expect((await replayB.fetch('/api/v1/lineage?key=x')).status).toBe(401);
	});

	it('disabling a user or changing their role ends all their sessions', async () => {
		const admin = await userWithRole(app, 'admin');
		const victim = await userWithRole(app, 'operator');
		const second = new Client(app.url);
		await second.signIn(victim.email, victim.password);
		expect((await second.fetch('/lineage')).status).toBe(200);

		expect((await admin.client.fetch(`/api/v1/users/${victim.id}`, { method: 'PATCH', json: { role: 'viewer' } })).status).toBe(200);
		expect((await victim.client.fetch('/lineage')).status).toBe(303);
		expect((await second.fetch('/lineage')).status).toBe(303);

		const again = new Client(app.url);
		expect((await again.signIn(victim.email, victim.password)).status).toBe(200);
		expect((await admin.client.fetch(`/api/v1/users/${victim.id}`, { method: 'PATCH', json: { disabled: true } })).status).toBe(200);
		expect((await again.fetch('/lineage')).status).toBe(303);
		expect((await new Client(app.url).signIn(victim.email, victim.password)).status).toBe(401);
	});
});
