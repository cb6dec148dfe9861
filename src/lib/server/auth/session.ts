/**
 * Sessions, after the Lucia guide (https://lucia-auth.com/sessions/basic): the token is
 * `<id>.<secret>`; only SHA-256 of the secret is stored and compared in constant time, so a copy
 * of the table signs nobody in. Expiry slides with use (idle timeout) under an absolute cap from
 * sign-in. A new token is issued at every sign-in (no session fixation: a token planted before
 * sign-in is never upgraded).
 */
import type { Cookies } from '@sveltejs/kit';
import { config } from '../config';
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { hashesEqual, nextVersion, randomString, sha256Hex } from './secrets';
import type { SessionUser } from './types';
import { ROLES, type Role } from './types';

export const SESSION_COOKIE = 'syncscope_session';
/** write last-seen at most this often: a request every second must not mean a row every second */
const REFRESH_EVERY_MS = 60_000;

export interface SessionMeta {
	ip?: string;
	userAgent?: string;
}

interface SessionRow {
	id: string;
	secretHash: string;
	userId: string;
	createdAt: number;
	lastSeenAt: number;
	revoked: number;
}

function limits() {
	const c = config();
	return { idleMs: c.sessionIdleMinutes * 60_000, absoluteMs: c.sessionAbsoluteHours * 3_600_000 };
}

/** When a session seen at lastSeenAt and created at createdAt stops being valid. */
export function sessionExpiry(createdAt: number, lastSeenAt: number): number {
	const { idleMs, absoluteMs } = limits();
	return Math.min(lastSeenAt + idleMs, createdAt + absoluteMs);
}

async function writeSession(s: Omit<SessionRow, 'revoked'> & { revoked?: boolean }, meta: SessionMeta = {}) {
	await db().insertRows('sessions', [
		{
			id: s.id,
			secret_hash: s.secretHash,
			user_id: s.userId,
			created_at: chTime(s.createdAt),
			last_seen_at: chTime(s.lastSeenAt),
			revoked: s.revoked ? 1 : 0,
			ip: meta.ip ?? '',
			user_agent: (meta.userAgent ?? '').slice(0, 300),
			version: nextVersion(now())
		}
	]);
}

/** Start a session for a user who just proved who they are; returns the token for the cookie. */
export async function createSession(userId: string, meta: SessionMeta = {}): Promise<{ token: string; id: string; expiresAt: number }> {
	const id = randomString(24);
	const secret = randomString(32);
	const t = now();
	await writeSession({ id, secretHash: sha256Hex(secret), userId, createdAt: t, lastSeenAt: t }, meta);
	return { token: `${id}.${secret}`, id, expiresAt: sessionExpiry(t, t) };
}

async function readSession(id: string): Promise<SessionRow | null> {
	const rows = await db().query<SessionRow>(sql`
		SELECT id, any(secret_hash) AS secretHash, any(user_id) AS userId,
		       toUnixTimestamp64Milli(min(created_at)) AS createdAt,
		       toUnixTimestamp64Milli(max(last_seen_at)) AS lastSeenAt, max(revoked) AS revoked
		FROM sessions WHERE id = ${{ String: id }} GROUP BY id`);
	return rows[0] ?? null;
}

export interface ValidSession {
	user: SessionUser;
	sessionId: string;
	expiresAt: number;
	/** the expiry moved: send the cookie again */
	refreshed: boolean;
}

/** The session a cookie token names, if it is valid now; slides its expiry when due. */
export async function validateSessionToken(token: string): Promise<ValidSession | null> {
	const dot = token.indexOf('.');
	if (dot < 1 || token.length > 200) return null;
	const id = token.slice(0, dot);
	const secret = token.slice(dot + 1);
	const s = await readSession(id);
	if (!s || s.revoked || !hashesEqual(sha256Hex(secret), s.secretHash)) return null;
	const t = now();
	if (t >= sessionExpiry(s.createdAt, s.lastSeenAt)) return null;

	const users = await db().query<{ email: string; role: string; disabled: number; ssoProvider: string; ssoSubject: string }>(sql`
		SELECT argMax(email, version) AS email, argMax(role, version) AS role, argMax(disabled, version) AS disabled,
		       argMax(sso_provider, version) AS ssoProvider, argMax(sso_subject, version) AS ssoSubject
		FROM users WHERE id = ${{ String: s.userId }} GROUP BY id`);
	const u = users[0];
	if (!u || u.disabled || !(ROLES as readonly string[]).includes(u.role)) return null;

	let lastSeenAt = s.lastSeenAt;
	const refreshed = t - s.lastSeenAt >= REFRESH_EVERY_MS;
	if (refreshed) {
		lastSeenAt = t;
		await writeSession({ ...s, revoked: false, lastSeenAt });
	}
	return {
		user: {
			id: s.userId,
			email: u.email,
			role: u.role as Role,
			via: 'session',
			sessionId: id,
			...(u.ssoProvider ? { sso: { provider: u.ssoProvider, subject: u.ssoSubject } } : {})
		},
		sessionId: id,
		expiresAt: sessionExpiry(s.createdAt, lastSeenAt),
		refreshed
	};
}

/** End one session (sign-out). */
export async function invalidateSession(id: string): Promise<void> {
	const s = await readSession(id);
	if (s) await writeSession({ ...s, revoked: true, lastSeenAt: now() });
}

/** End every session of a user (disabled, role changed, password reset). */
export async function invalidateUserSessions(userId: string): Promise<number> {
	const open = await db().query<SessionRow>(sql`
		SELECT id, any(secret_hash) AS secretHash, any(user_id) AS userId,
		       toUnixTimestamp64Milli(min(created_at)) AS createdAt,
		       toUnixTimestamp64Milli(max(last_seen_at)) AS lastSeenAt, max(revoked) AS revoked
		FROM sessions WHERE user_id = ${{ String: userId }} GROUP BY id HAVING revoked = 0`);
	const t = now();
	if (open.length) {
		await db().insertRows(
			'sessions',
			open.map((s) => ({
				id: s.id,
				secret_hash: s.secretHash,
				user_id: s.userId,
				created_at: chTime(s.createdAt),
				last_seen_at: chTime(t),
				revoked: 1,
				version: nextVersion(t)
			}))
		);
	}
	return open.length;
}

/** Plain http is only acceptable on the loopback interface (local development, tests). */
function secureCookie(url: URL): boolean {
	const loopback = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(url.hostname);
	return !(url.protocol === 'http:' && loopback);
}

export function setSessionCookie(cookies: Cookies, url: URL, token: string, expiresAt: number): void {
	cookies.set(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: secureCookie(url),
		expires: new Date(expiresAt)
	});
}

export function deleteSessionCookie(cookies: Cookies, url: URL): void {
	cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookie(url) });
}
