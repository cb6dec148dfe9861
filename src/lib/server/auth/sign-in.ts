/** Sign-in by email and password: reserve an attempt, verify, settle and log it, start a fresh session. */
import { createSession, type SessionMeta } from './session';
import { findUserForSignIn, normalizeEmail } from './users';
import { localSignIn, mayUsePassword } from './local-sign-in';
import { verifyDummy, verifyPassword } from './password';
import { recordAttempt, reserveAttempt, type AttemptReason } from './throttle';
import type { Role } from './types';

export type SignInResult =
	| { ok: true; token: string; expiresAt: number; user: { id: string; email: string; role: Role } }
	| { ok: false; reason: 'invalid' }
	| { ok: false; reason: 'throttled'; retryAfterMs: number };

export async function signIn(emailInput: string, password: string, meta: SessionMeta & { ip: string }): Promise<SignInResult> {
	const email = normalizeEmail(emailInput).slice(0, 320);
	const log = (reason: AttemptReason) => recordAttempt({ email, ip: meta.ip, reason, userAgent: meta.userAgent });

	// the attempt is counted before the (slow) password check, so a concurrent burst cannot all pass
	const admission = await reserveAttempt(email, meta.ip);
	if (!admission.ok) {
		await log('throttled');
		return { ok: false, reason: 'throttled', retryAfterMs: admission.retryAfterMs };
	}
	const { reservation } = admission;
	let reason: AttemptReason;
	let user: Awaited<ReturnType<typeof findUserForSignIn>>;
	try {
		user = await findUserForSignIn(email);
		const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyDummy(password);
		// a disabled account gets the same answer as a wrong password: it is not confirmed to a stranger
		reason = !user || !valid ? 'bad_credentials' : user.disabled ? 'disabled' : 'ok';
		// local passwords off for all but break-glass admins (local-sign-in.ts): the same answer as a
		// wrong password, so a guess is not confirmed; the sign-in page says who may use a password
		if (reason === 'ok' && user && !mayUsePassword(user, await localSignIn())) reason = 'local_off';
	} catch (e) {
		reservation.release();
		throw e;
	}
	reservation.settle(reason === 'ok' ? 'ok' : 'failed');
	await log(reason);
	if (reason !== 'ok' || !user) return { ok: false, reason: 'invalid' };
	const s = await createSession(user.id, meta);
	return { ok: true, token: s.token, expiresAt: s.expiresAt, user: { id: user.id, email: user.email, role: user.role } };
}
