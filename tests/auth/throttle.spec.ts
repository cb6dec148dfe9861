/** Sign-in throttling slows guessing without locking the real user out; every attempt is logged. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { setClock } from '../../src/lib/server/auth/clock';
import { createUser } from '../../src/lib/server/auth/users';
import { FREE_FAILURES, IP_BUDGET, delayFor } from '../../src/lib/server/auth/throttle';
import { Client, testApp, type TestApp } from '../helpers/app';

let app: TestApp;
let t = Date.now();
beforeAll(async () => {
	app = await testApp();
	setClock(() => t);
});
afterAll(async () => {
	setClock();
	await app?.close();
});
beforeEach(() => {
	t += 3600_000; // each test starts outside the previous one's window
});

let n = 0;
async function victim() {
	const email = `victim-${++n}@example.com`;
	await createUser({ email, password: 'the real password', role: 'operator' });
	return email;
}
const attempt = (c: Client, email: string, password: string) => c.fetch('/api/v1/session', { json: { email, password } });

describe('per email + IP', () => {
	it('allows a few mistakes, then makes each further guess wait exponentially longer', async () => {
		const email = await victim();
		const attacker = new Client(app.url, '203.0.113.7');
		for (let i = 0; i < FREE_FAILURES; i++) expect((await attempt(attacker, email, `guess ${i}`)).status).toBe(401);
		const blocked = await attempt(attacker, email, 'guess now');
		expect(blocked.status).toBe(429);
		expect(Number(blocked.headers.get('retry-after'))).toBe(delayFor(FREE_FAILURES) / 1000);
		t += delayFor(FREE_FAILURES);
		expect((await attempt(attacker, email, 'guess after wait')).status).toBe(401);
		expect((await attempt(attacker, email, 'too soon')).status).toBe(429);
		t += delayFor(FREE_FAILURES + 1) - 1;
		expect((await attempt(attacker, email, 'still too soon')).status).toBe(429);
		t += 1;
		expect((await attempt(attacker, email, 'ok to try')).status).toBe(401);
		expect(delayFor(FREE_FAILURES + 2)).toBe(2 * delayFor(FREE_FAILURES + 1));
	});

	it('never locks the real user out: other networks are unaffected, and waiting always ends', async () => {
		const email = await victim();
		const attacker = new Client(app.url, '198.51.100.9');
		for (let i = 0; i < 12; i++) {
			t += delayFor(i) + 1;
			await attempt(attacker, email, `guess ${i}`);
		}
		expect((await attempt(attacker, email, 'the real password')).status).toBe(429);
		const realUser = new Client(app.url, '192.0.2.44');
		expect((await attempt(realUser, email, 'the real password')).status).toBe(200);
		// even on the attacker's network the wait is bounded (≤ 60 s), never a lockout
		t += 60_000;
		expect((await attempt(attacker, email, 'the real password')).status).toBe(200);
	});

	it('answers an unknown email exactly like a wrong password', async () => {
		const email = await victim();
		const c = new Client(app.url, '192.0.2.50');
		const wrong = await attempt(c, email, 'wrong password');
		const unknown = await attempt(c, `nobody-${n}@example.com`, 'wrong password');
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(await wrong.json()).toEqual(await unknown.json());
	});
});

describe('per IP budget', () => {
	it('stops password spraying across many emails from one IP, not other IPs', async () => {
		const sprayer = new Client(app.url, '203.0.113.99');
		for (let i = 0; i < IP_BUDGET; i++) {
			expect((await attempt(sprayer, `spray-${i}@example.com`, 'Summer2026!')).status).toBe(401);
		}
		expect((await attempt(sprayer, 'spray-next@example.com', 'Summer2026!')).status).toBe(429);
		const email = await victim();
		expect((await attempt(new Client(app.url, '192.0.2.60'), email, 'the real password')).status).toBe(200);
	});
});

describe('sign-in log', () => {
	it('records every attempt with its result', async () => {
		const email = await victim();
		const c = new Client(app.url, '192.0.2.77');
		await attempt(c, email, 'wrong');
		t += 1000;
		await attempt(c, email, 'the real password');
		t += 1000;
		const form = await new Client(app.url, '192.0.2.77').fetch('/login', { form: { email, password: 'wrong again' } });
		expect(await form.text()).toContain('Email or password is not correct.');
		const rows = await app.db.query<{ reason: string; ip: string }>(
			sql`SELECT reason, ip FROM sign_in_attempts WHERE email = ${{ String: email }} ORDER BY time`
		);
		expect(rows).toEqual([
			{ reason: 'bad_credentials', ip: '192.0.2.77' },
			{ reason: 'ok', ip: '192.0.2.77' },
			{ reason: 'bad_credentials', ip: '192.0.2.77' }
		]);
		const secrets = await app.db.query<{ n: number }>(sql`SELECT count() AS n FROM sign_in_attempts WHERE position(toString(tuple(*)), 'the real password') > 0`);
		expect(secrets[0].n).toBe(0);
	});
});
