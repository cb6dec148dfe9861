/**
 * Sign-in throttling under concurrency (issue 14, finding 2): real parallel requests to the built
 * console. An attempt is counted before its password is checked, so a burst cannot all read the
 * same "no failures yet" and all be verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { createUser } from '../../src/lib/server/auth/users';
import { FREE_FAILURES, IP_BUDGET } from '../../src/lib/server/auth/throttle';
import { Client, testApp, type TestApp } from '../helpers/app';

let app: TestApp;
beforeAll(async () => {
	app = await testApp();
});
afterAll(async () => {
	await app?.close();
});

const PASSWORD = 'the real password';
let n = 0;
async function victim() {
	const email = `burst-${++n}@example.com`;
	await createUser({ email, password: PASSWORD, role: 'operator' });
	return email;
}
const attempt = (c: Client, email: string, password: string) => c.fetch('/api/v1/session', { json: { email, password } });
const statuses = (rs: Response[]) => rs.map((r) => r.status);
const count = (xs: number[], x: number) => xs.filter((s) => s === x).length;

async function checkedInLog(email: string): Promise<number> {
	const rows = await app.db.query<{ n: number }>(
		sql`SELECT count() AS n FROM sign_in_attempts WHERE email = ${{ String: email }} AND reason != 'throttled'`
	);
	return rows[0].n;
}

describe('per email + IP, concurrent', () => {
	it('30 concurrent wrong passwords for one email: at most FREE_FAILURES are checked, the rest get 429', async () => {
		const email = await victim();
		const attacker = new Client(app.url, '203.0.113.20');
		const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(attacker, email, `guess ${i}`)));
		const s = statuses(rs);
		expect(count(s, 401)).toBeLessThanOrEqual(FREE_FAILURES);
		expect(count(s, 429)).toBeGreaterThanOrEqual(30 - FREE_FAILURES);
		expect(count(s, 401) + count(s, 429)).toBe(30);
		expect(await checkedInLog(email)).toBe(count(s, 401));
		for (const r of rs.filter((r) => r.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
	});

	it('a 30-request burst containing the right password checks at most FREE_FAILURES passwords', async () => {
		const email = await victim();
		const attacker = new Client(app.url, '203.0.113.21');
		const guesses = [...Array.from({ length: 29 }, (_, i) => `guess ${i}`), PASSWORD];
		const rs = await Promise.all(guesses.map((g) => attempt(attacker, email, g)));
		const s = statuses(rs);
		const checked = s.filter((x) => x !== 429).length;
		// (today's failure mode: all 30 checked, so the right one always got in)
		expect(checked).toBeLessThanOrEqual(FREE_FAILURES);
		expect(count(s, 200) + count(s, 401)).toBe(checked);
		expect(await checkedInLog(email)).toBe(checked);
	});
});

describe('per IP, concurrent', () => {
	it(`60 concurrent attempts from one IP across emails: at most the budget (${IP_BUDGET}) are checked`, async () => {
		const sprayer = new Client(app.url, '203.0.113.22');
		const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(sprayer, `spray-burst-${i}@example.com`, 'Summer2026!')));
		const s = statuses(rs);
		expect(count(s, 401)).toBeLessThanOrEqual(IP_BUDGET);
		expect(count(s, 429)).toBeGreaterThanOrEqual(60 - IP_BUDGET);
		const rows = await app.db.query<{ n: number }>(
			sql`SELECT count() AS n FROM sign_in_attempts WHERE ip = '203.0.113.22' AND reason = 'bad_credentials'`
		);
		expect(rows[0].n).toBeLessThanOrEqual(IP_BUDGET);
		// and the address stays over budget for the next one
		expect((await attempt(sprayer, 'spray-burst-next@example.com', 'Summer2026!')).status).toBe(429);
	});

	it('a burst from one IP leaves other IPs alone', async () => {
		const email = await victim();
		const attacker = new Client(app.url, '203.0.113.23');
		await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(attacker, email, `guess ${i}`)));
		expect((await attempt(new Client(app.url, '192.0.2.23'), email, PASSWORD)).status).toBe(200);
	});
});
