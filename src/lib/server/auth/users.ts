/**
 * Users. Each change (role, disabled, password, deletion) appends a row version; the latest version
 * wins. Changing a user's role, disabling or deleting them, or resetting the password ends all their
 * sessions; disabling or deleting them revokes their API tokens, a lower role revokes the tokens above
 * it (tokens.ts; a token never acts with more than its creator's current role).
 *
 * The last admin: no change (role, disable, delete; through the API, the console, a session or a
 * token) may leave Syncscope without an enabled admin. Changes that take an admin away run one at a
 * time in this process, checked before the write; across processes sharing a ClickHouse server, each
 * such change re-counts the admins after its write and rolls itself back if none is left.
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { AuthError, invalid, notFound, userExists } from './errors';
import { hashPassword } from './password';
import { checkPasswordPolicy } from './password-policy';
import { randomString, nextVersion } from './secrets';
import { invalidateUserSessions } from './session';
import { revokeTokensBeyond } from './tokens';
import { ROLES, type Role } from './types';

export interface User {
	id: string;
	email: string;
	role: Role;
	disabled: boolean;
	createdAt: number;
	updatedAt: number;
	/** set for accounts created by single sign-on (auth/oidc/): the provider and its subject; null for local accounts */
	sso: SsoIdentity | null;
}
export interface SsoIdentity {
	provider: string;
	subject: string;
}
interface UserRow extends Omit<User, 'disabled' | 'sso'> {
	disabled: number;
	deleted: number;
	passwordHash: string;
	ssoProvider: string;
	ssoSubject: string;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const latest = (where: ReturnType<typeof sql>) => sql`
	SELECT id, argMax(email, version) AS email, argMax(role, version) AS role,
	       argMax(disabled, version) AS disabled, argMax(deleted, version) AS deleted, argMax(password_hash, version) AS passwordHash,
	       argMax(sso_provider, version) AS ssoProvider, argMax(sso_subject, version) AS ssoSubject,
	       toUnixTimestamp64Milli(min(created_at)) AS createdAt, toUnixTimestamp64Milli(max(updated_at)) AS updatedAt
	FROM users WHERE ${where} GROUP BY id HAVING deleted = 0 ORDER BY email`;

function toUser(r: UserRow): User {
	const sso = r.ssoProvider ? { provider: r.ssoProvider, subject: r.ssoSubject } : null;
	return { id: r.id, email: r.email, role: r.role, disabled: !!r.disabled, createdAt: r.createdAt, updatedAt: r.updatedAt, sso };
}

/** One user with the password hash (sign-in only); a deleted user is nobody. */
export async function findUserForSignIn(email: string): Promise<(User & { passwordHash: string }) | null> {
	const rows = await db().query<UserRow>(
		latest(sql`id IN (SELECT id FROM users WHERE email = ${{ String: normalizeEmail(email) }})`)
	);
	return rows[0] ? { ...toUser(rows[0]), passwordHash: rows[0].passwordHash } : null;
}

export async function getUser(id: string): Promise<User | null> {
	const rows = await db().query<UserRow>(latest(sql`id = ${{ String: id }}`));
	return rows[0] ? toUser(rows[0]) : null;
}

export async function listUsers(): Promise<User[]> {
	return (await db().query<UserRow>(latest(sql`1`))).map(toUser);
}

export async function countUsers(): Promise<number> {
	const r = await db().query<{ n: number }>(sql`SELECT uniqExact(id) AS n FROM users`);
	return r[0]?.n ?? 0;
}

function checkRole(role: string): Role {
	if (!(ROLES as readonly string[]).includes(role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
	return role as Role;
}

interface Stored {
	id: string;
	email: string;
	role: Role;
	disabled: boolean;
	deleted: boolean;
	createdAt: number;
	passwordHash: string;
	sso: SsoIdentity | null;
}

async function writeUser(u: Stored): Promise<void> {
	const t = now();
	await db().insertRows('users', [
		{
			id: u.id,
			email: u.email,
			password_hash: u.passwordHash,
			sso_provider: u.sso?.provider ?? '',
			sso_subject: u.sso?.subject ?? '',
			role: u.role,
			disabled: u.disabled ? 1 : 0,
			deleted: u.deleted ? 1 : 0,
			created_at: chTime(u.createdAt),
			updated_at: chTime(t),
			version: nextVersion(t)
		}
	]);
}

export async function createUser(input: { email: string; password: string; role: string }): Promise<User> {
	const email = normalizeEmail(input.email);
	const role = checkRole(input.role);
	await checkPasswordPolicy(input.password, { email });
	if (await findUserForSignIn(email)) throw userExists(email);
	const user = { id: randomString(16), email, role, disabled: false, createdAt: now(), sso: null };
	await writeUser({ ...user, deleted: false, passwordHash: await hashPassword(input.password) });
	return { ...user, updatedAt: user.createdAt };
}

/** The user a provider knows by this subject (deleted users are nobody). */
export async function findSsoUser(sso: SsoIdentity): Promise<User | null> {
	const rows = await db().query<UserRow>(
		latest(sql`id IN (SELECT id FROM users WHERE sso_provider = ${{ String: sso.provider }} AND sso_subject = ${{ String: sso.subject }})`)
	);
	return rows.map(toUser).find((u) => u.sso?.provider === sso.provider && u.sso.subject === sso.subject) ?? null;
}

/**
 * Create a user on their first single sign-on (just in time): no password, so a password sign-in
 * never works for them; the email is the one the provider vouched for and must be free.
 */
export async function createSsoUser(input: { email: string; role: Role; sso: SsoIdentity }): Promise<User> {
	const email = normalizeEmail(input.email);
	if (await findUserForSignIn(email)) throw userExists(email);
	const user = { id: randomString(16), email, role: checkRole(input.role), disabled: false, createdAt: now(), sso: input.sso };
	await writeUser({ ...user, deleted: false, passwordHash: '' });
	return { ...user, updatedAt: user.createdAt };
}

const isActiveAdmin = (u: Pick<Stored, 'role' | 'disabled' | 'deleted'>) => u.role === 'admin' && !u.disabled && !u.deleted;

/** Ids of the enabled admins. */
async function activeAdmins(): Promise<string[]> {
	const rows = await db().query<{ id: string }>(sql`
		SELECT id FROM users GROUP BY id
		HAVING argMax(role, version) = 'admin' AND argMax(disabled, version) = 0 AND argMax(deleted, version) = 0`);
	return rows.map((r) => r.id);
}

const lastAdmin = (email: string) =>
	new AuthError(`${email} is the last enabled admin: make another user admin before demoting, disabling or deleting them`, 409);

let queue: Promise<unknown> = Promise.resolve();
/** Run user changes one at a time in this process, so two changes never both see "another admin". */
function serialised<T>(fn: () => Promise<T>): Promise<T> {
	const run = queue.then(fn, fn);
	queue = run.catch(() => undefined);
	return run;
}

async function readStored(id: string): Promise<Stored> {
	const rows = await db().query<UserRow>(latest(sql`id = ${{ String: id }}`));
	const r = rows[0];
	if (!r) throw notFound('user');
	return { id, email: r.email, role: r.role, disabled: !!r.disabled, deleted: !!r.deleted, createdAt: r.createdAt, passwordHash: r.passwordHash, sso: r.ssoProvider ? { provider: r.ssoProvider, subject: r.ssoSubject } : null };
}

/** Write a change to `current`, keeping at least one enabled admin (see the module comment). */
async function change(current: Stored, next: Stored): Promise<void> {
	const takesAdmin = isActiveAdmin(current) && !isActiveAdmin(next);
	if (takesAdmin && !(await activeAdmins()).some((a) => a !== current.id)) throw lastAdmin(current.email);
	await writeUser(next);
	// another process may have taken the other admin away at the same moment: then undo ours
	if (takesAdmin && (await activeAdmins()).length === 0) {
		await writeUser(current);
		throw lastAdmin(current.email);
	}
	await invalidateUserSessions(current.id);
	// their tokens die with their standing: all of them when disabled or deleted, those above a lower role
	if (next.disabled || next.deleted) await revokeTokensBeyond(current, null);
	else if (next.role !== current.role) await revokeTokensBeyond(current, next.role);
}

/** Change role, enable/disable or set a new password; any change ends the user's sessions. */
export async function updateUser(id: string, input: { role?: string; disabled?: boolean; password?: string }): Promise<User> {
	const role = input.role === undefined ? undefined : checkRole(input.role);
	return serialised(async () => {
		const current = await readStored(id);
		if (input.password !== undefined && current.sso) throw invalid(`${current.email} signs in through single sign-on (${current.sso.provider}) and has no password`);
		if (input.password !== undefined) await checkPasswordPolicy(input.password, { email: current.email });
		const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
		const next: Stored = { ...current, role: role ?? current.role, disabled: input.disabled ?? current.disabled, passwordHash: passwordHash ?? current.passwordHash };
		await change(current, next);
		return { id, email: next.email, role: next.role, disabled: next.disabled, createdAt: next.createdAt, updatedAt: now(), sso: next.sso };
	});
}

/**
 * Delete a user: a last version with deleted (and disabled) set. They can no longer sign in, their
 * sessions end, their tokens stop working, and the email is free for a new user (who is someone else:
 * the old tokens do not come back).
 */
export async function deleteUser(id: string): Promise<void> {
	await serialised(async () => {
		const current = await readStored(id);
		await change(current, { ...current, deleted: true, disabled: true });
	});
}
