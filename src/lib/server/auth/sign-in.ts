/** Sign-in by email and password: throttle, verify, log the attempt, start a fresh session. */
import { createSession, type SessionMeta } from './session';
import { findUserForSignIn, normalizeEmail } from './users';
import { verifyDummy, verifyPassword } from './password';
import { recordAttempt, throttleWait } from './throttle';
import type { Role } from './types';

export type SignInResult =
	| { ok: true; token: string; expiresAt: number; user: { id: string; email: string; role: Role } }
	| { ok: false; reason: 'invalid' }
	| { ok: false; reason: 'throttled'; retryAfterMs: number };

export async function signIn(emailInput: string, password: string, meta: SessionMeta & { ip: string }): Promise<SignInResult> {
	const email = normalizeEmail(emailInput).slice(0, 320);
	const log = (reason: Parameters<typeof recordAttempt>[0]['reason']) =>
		recordAttempt({ email, ip: meta.ip, reason, userAgent: meta.userAgent });

	const wait = await throttleWait(email, meta.ip);
	if (wait > 0) {
		await log('throttled');
		return { ok: false, reason: 'throttled', retryAfterMs: wait };
	}
	const user = await findUserForSignIn(email);
	const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyDummy(password);
	if (!user || !valid) {
		await log('bad_credentials');
		return { ok: false, reason: 'invalid' };
	}
	if (user.disabled) {
		// same answer as a wrong password: a disabled account is not confirmed to a stranger
		await log('disabled');
		return { ok: false, reason: 'invalid' };
	}
	await log('ok');
	const s = await createSession(user.id, meta);
	return { ok: true, token: s.token, expiresAt: s.expiresAt, user: { id: user.id, email: user.email, role: user.role } };
}
