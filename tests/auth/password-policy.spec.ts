/**
 * The password policy (issue 14, finding 17; ASVS 5.0 V6.2): length, a shipped list of common and
 * breached passwords, context words, guessability; on every path that sets a password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dictionary } from '@zxcvbn-ts/language-common';
import { ConfigError } from '../../src/lib/server/config';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { createUser, findUserForSignIn } from '../../src/lib/server/auth/users';
import { MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/lib/server/auth/password-policy';
import { testApp, userWithRole, type TestApp } from '../helpers/app';
import { testDb, type TestDb } from '../helpers/db';

describe('passwordProblem', () => {
	it('refuses aaaaaaaaaaaa and other long but trivial passwords, saying why', async () => {
		expect(await passwordProblem('aaaaaaaaaaaa')).toMatch(/too easy to guess: Repeated characters like "aaa"/);
		expect(await passwordProblem('abcdefghijkl')).toMatch(/too easy to guess: .*sequences/i);
		expect(await passwordProblem('qwertyqwerty')).toMatch(/too easy to guess/);
		// l33t and suffixed variants of listed passwords: not on the list as such, still refused
		expect(await passwordProblem('P@ssw0rd12345')).toMatch(/too easy to guess: .*commonly used password/);
		expect(await passwordProblem('iloveyou1234!')).toMatch(/too easy to guess/);
	});

	it('refuses passwords on the shipped breach list (at least the top 3000), case-insensitively', async () => {
		const list = dictionary['passwords-common'];
		expect(list.length).toBeGreaterThanOrEqual(3000);
		const long = list.slice(0, 20_000).filter((p) => [...p].length >= MIN_PASSWORD_LENGTH);
		expect(long.length).toBeGreaterThan(50);
		for (const p of long.slice(0, 200)) expect(await passwordProblem(p), p).not.toBeNull();
		expect(await passwordProblem('123456789012')).toMatch(/common passwords from data breaches/);
		expect(await passwordProblem('QWERTYUIOPASDFGHJKL'.toLowerCase())).not.toBeNull();
	});

	it('refuses short passwords with the length it needs and the length it got', async () => {
		expect(await passwordProblem('short')).toBe('Passwords need at least 12 characters (this one has 5). A few unrelated words make a good one.');
		expect(await passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
	});

	it("refuses a password built from the user's email or the product name", async () => {
		const email = 'jane.doe@acme-dist.example';
		for (const p of ['jane.doe.jane.doe', 'janedoe2024acme', 'Jane.Doe@Acme-Dist.example', 'syncscopesyncscope', 'syncscope-admin-1']) {
			expect(await passwordProblem(p, { email }), p).toMatch(/email address or the product name/);
		}
		expect(await passwordProblem('jane violet tugboat marmalade', { email })).toBeNull();
	});

	it('has no composition rules: long lower-case passphrases and any characters are fine', async () => {
		for (const p of ['correct horse battery', 'violet tugboat marmalade', 'ünïcödé pässwörd wörks', '🦊🦊 fox emoji lantern', 'x9$Lq!2vR#m0']) {
			expect(await passwordProblem(p), p).toBeNull();
		}
	});
});

describe('every path that sets a password', () => {
	let app: TestApp;
	beforeAll(async () => {
		app = await testApp();
	});
	afterAll(async () => {
		await app?.close();
	});

	it('users API: POST /api/v1/users refuses aaaaaaaaaaaa with 400 and the reason', async () => {
		const admin = await userWithRole(app, 'admin');
		const r = await admin.client.fetch('/api/v1/users', { json: { email: 'weak@example.com', password: 'aaaaaaaaaaaa', role: 'viewer' } });
		expect(r.status).toBe(400);
		expect(((await r.json()) as { message: string }).message).toMatch(/too easy to guess: Repeated characters/);
		expect(await findUserForSignIn('weak@example.com')).toBeNull();
		const ok = await admin.client.fetch('/api/v1/users', { json: { email: 'strong@example.com', password: 'violet tugboat marmalade', role: 'viewer' } });
		expect(ok.status).toBe(201);
	});

	it('users API: PATCH /api/v1/users/{id} refuses a breached password as the new one', async () => {
		const admin = await userWithRole(app, 'admin');
		const u = await userWithRole(app, 'viewer');
		const r = await admin.client.fetch(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { password: 'password1234' } });
		expect(r.status).toBe(400);
		expect(((await r.json()) as { message: string }).message).toMatch(/common passwords from data breaches|too easy to guess/);
		// the old password still works: nothing was changed
		expect((await u.client.signIn(u.email, u.password)).status).toBe(200);
	});

	it("console user form: the admin sees what is wrong with the password", async () => {
		const admin = await userWithRole(app, 'admin');
		const r = await admin.client.fetch('/admin/users?/create', {
			form: { email: 'form-weak@example.com', password: 'qwertyqwerty', role: 'viewer' },
			headers: { accept: 'application/json' }
		});
		const body = (await r.json()) as { type: string; status: number; data: string };
		expect(body.type).toBe('failure');
		expect(body.status).toBe(400);
		expect(body.data).toMatch(/too easy to guess/);
		expect(await findUserForSignIn('form-weak@example.com')).toBeNull();
	});

	it('createUser itself (the one function every path goes through) refuses it', async () => {
		await expect(createUser({ email: 'direct@example.com', password: 'aaaaaaaaaaaa', role: 'viewer' })).rejects.toThrow(/too easy to guess/);
	});
});

describe('the first admin', () => {
	let fresh: TestDb;
	beforeAll(async () => {
		fresh = await testDb();
	});
	afterAll(async () => {
		await fresh?.cleanup();
	});

	it('from SYNCSCOPE_ADMIN_PASSWORD: a weak one stops the start with a config error naming the setting', async () => {
		const weak = { adminEmail: 'first@example.com', adminPassword: 'aaaaaaaaaaaa' };
		await expect(ensureFirstAdmin(weak, () => {})).rejects.toThrow(ConfigError);
		await expect(ensureFirstAdmin(weak, () => {})).rejects.toThrow(/SYNCSCOPE_ADMIN_PASSWORD is refused: This password is too easy to guess/);
		expect(await findUserForSignIn('first@example.com')).toBeNull();
		await ensureFirstAdmin({ ...weak, adminPassword: 'violet tugboat marmalade' }, () => {});
		expect(await findUserForSignIn('first@example.com')).not.toBeNull();
	});
});
