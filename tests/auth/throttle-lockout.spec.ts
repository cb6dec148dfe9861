/**
 * What a correct password gets after a lockout (issue 14, finding 12; docs/operations.md "Sign-in
 * throttling"): the per-IP budget refuses guesses, not the people who already sign in from that
 * address; the account + IP back-off always ends; counters outlive a restart.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setClock } from '../../src/lib/server/auth/clock';
import { createUser } from '../../src/lib/server/auth/users';
import { FREE_FAILURES, IP_BUDGET, KNOWN_ADDRESS_MS, WINDOW_MS, delayFor, resetThrottle } from '../../src/lib/server/auth/throttle';
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

const PASSWORD = 'the real password';
let n = 0;
async function user() {
	const email = `lockout-${++n}@example.com`;
	await createUser({ email, password: PASSWORD, role: 'operator' });
	return email;
}
const attempt = (ip: string, email: string, password: string) => new Client(app.url, ip).fetch('/api/v1/session', { json: { email, password } });

/** An attacker behind the shared address spends its budget (concurrently, as in the attack). */
async function exhaust(ip: string) {
	const rs = await Promise.all(Array.from({ length: IP_BUDGET + 10 }, (_, i) => attempt(ip, `spray-${ip}-${i}@example.com`, 'Winter2026!')));
	expect(rs.some((r) => r.status === 429)).toBe(true);
	expect((await attempt(ip, `spray-${ip}-next@example.com`, 'Winter2026!')).status).toBe(429);
}

describe('per-IP budget spent by someone else on a shared address (proxy, NAT)', () => {
	it('an account that signed in from this address before still gets in with its password', async () => {
		const proxy = '198.51.100.10';
		const email = await user();
		t += 1000;
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
		t += 86_400_000; // a day later, the address is under attack
		await exhaust(proxy);
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
	});

	it('an account new to this address waits until the window has passed (never longer), then gets in', async () => {
		const proxy = '198.51.100.11';
		const email = await user();
		await exhaust(proxy);
		const refused = await attempt(proxy, email, PASSWORD);
		expect(refused.status).toBe(429);
		const wait = Number(refused.headers.get('retry-after'));
		expect(wait).toBeGreaterThan(0);
		expect(wait).toBeLessThanOrEqual(WINDOW_MS / 1000);
		t += wait * 1000;
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
	});

	it('a success from this address older than KNOWN_ADDRESS_MS vouches for nothing (also after a restart)', async () => {
		const proxy = '198.51.100.12';
		const email = await user();
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
		t += KNOWN_ADDRESS_MS + 1000;
		resetThrottle(); // a restart: what this process knows comes from the sign-in log again
		await exhaust(proxy);
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(429);
	});

	it('an attacker on the same address gets one guess per known account, then that account waits too', async () => {
		const proxy = '198.51.100.13';
		const email = await user();
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(200);
		t += 1000;
		await exhaust(proxy);
		expect((await attempt(proxy, email, 'a guess')).status).toBe(401);
		expect((await attempt(proxy, email, 'another guess')).status).toBe(429);
		expect((await attempt(proxy, email, PASSWORD)).status).toBe(429);
		// the same account from another network is not affected
		expect((await attempt('192.0.2.13', email, PASSWORD)).status).toBe(200);
	});
});

describe('account + IP back-off', () => {
	it('expires: after the last delay, a correct password succeeds and clears the count', async () => {
		const ip = '198.51.100.20';
		const email = await user();
		for (let i = 0; i < FREE_FAILURES + 2; i++) {
			t += delayFor(i) + 1;
			expect((await attempt(ip, email, `guess ${i}`)).status).toBe(401);
		}
		const refused = await attempt(ip, email, PASSWORD);
		expect(refused.status).toBe(429);
		expect(Number(refused.headers.get('retry-after'))).toBe(delayFor(FREE_FAILURES + 2) / 1000);
		t += delayFor(FREE_FAILURES + 2);
		expect((await attempt(ip, email, PASSWORD)).status).toBe(200);
		// a success starts the count again: the next mistake is free
		expect((await attempt(ip, email, 'typo')).status).toBe(401);
	});

	it('survives a restart: counters are seeded from the sign-in log', async () => {
		const ip = '198.51.100.21';
		const email = await user();
		for (let i = 0; i < FREE_FAILURES; i++) expect((await attempt(ip, email, `guess ${i}`)).status).toBe(401);
		resetThrottle();
		expect((await attempt(ip, email, PASSWORD)).status).toBe(429);
		t += delayFor(FREE_FAILURES);
		resetThrottle();
		expect((await attempt(ip, email, PASSWORD)).status).toBe(200);
	});
});
