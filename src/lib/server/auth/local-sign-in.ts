/**
 * Who may sign in with a local password, an admin setting kept in ClickHouse (auth_settings,
 * migration 110): 'everyone', or 'break_glass': only local accounts holding the admin role (the
 * break-glass admins who can still get in when the identity provider is down or misconfigured);
 * everyone else signs in through single sign-on.
 */
import { appendAudit } from '../audit/log';
import { config } from '../config';
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { invalid } from './errors';
import { nextVersion } from './secrets';
import { invalidateUserSessions } from './session';
import type { SessionUser } from './types';
import { listUsers, type User } from './users';

export const LOCAL_SIGN_IN = ['everyone', 'break_glass'] as const;
export type LocalSignIn = (typeof LOCAL_SIGN_IN)[number];
const KEY = 'local_sign_in';

/** The current setting (default: everyone). */
export async function localSignIn(): Promise<LocalSignIn> {
	const rows = await db().query<{ value: string }>(sql`
		SELECT argMax(value, version) AS value FROM auth_settings WHERE key = ${{ String: KEY }} GROUP BY key`);
	return rows[0]?.value === 'break_glass' ? 'break_glass' : 'everyone';
}

/** Whether this account may sign in with its password under the setting. */
export function mayUsePassword(user: Pick<User, 'role' | 'sso'>, setting: LocalSignIn): boolean {
	if (user.sso) return false;
	return setting === 'everyone' || user.role === 'admin';
}

/**
 * Change the setting (an admin, checked by the caller). Restricting it ends the sessions of local
 * accounts that may no longer sign in, and needs a single sign-on provider to send them to.
 */
export async function setLocalSignIn(value: LocalSignIn, by: SessionUser): Promise<{ endedFor: number }> {
	if (value === 'break_glass' && config().oidcProviders.length === 0) {
		throw invalid('Configure a single sign-on provider (oidcProviders) before turning local passwords off: nobody but admins could sign in.');
	}
	const t = now();
	await db().insertRows('auth_settings', [{ key: KEY, value, updated_by: by.email, updated_at: chTime(t), version: nextVersion(t) }]);
	const shut = value === 'break_glass' ? (await listUsers()).filter((u) => !u.disabled && !mayUsePassword(u, value) && !u.sso) : [];
	for (const u of shut) await invalidateUserSessions(u.id);
	await appendAudit(async () => ({
		actor: by.email,
		role: by.role,
		action: 'local_sign_in_set',
		subjectType: 'auth_setting',
		subjectId: KEY,
		toState: value,
		result: 'ok',
		data: { sessionsEndedFor: shut.map((u) => u.email), ...(by.sso ? { sso: by.sso } : {}) }
	}));
	return { endedFor: shut.length };
}
