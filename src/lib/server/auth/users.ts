/**
 * Users. Each change (role, disabled, password) appends a row version; the latest version wins.
 * Changing a user's role, disabling them or resetting the password ends all their sessions.
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { invalid, notFound, userExists } from './errors';
import { hashPassword } from './password';
import { checkPasswordPolicy } from './password-policy';
import { randomString, nextVersion } from './secrets';
import { invalidateUserSessions } from './session';
import { ROLES, type Role } from './types';

export interface User {
	id: string;
	email: string;
	role: Role;
	disabled: boolean;
	createdAt: number;
	updatedAt: number;
}
interface UserRow extends Omit<User, 'disabled'> {
	disabled: number;
	passwordHash: string;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const latest = (where: ReturnType<typeof sql>) => sql`
	SELECT id, argMax(email, version) AS email, argMax(role, version) AS role,
	       argMax(disabled, version) AS disabled, argMax(password_hash, version) AS passwordHash,
	       toUnixTimestamp64Milli(min(created_at)) AS createdAt, toUnixTimestamp64Milli(max(updated_at)) AS updatedAt
	FROM users WHERE ${where} GROUP BY id ORDER BY email`;

function toUser(r: UserRow): User {
	return { id: r.id, email: r.email, role: r.role, disabled: !!r.disabled, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/** One user with the password hash (sign-in only). */
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

async function writeUser(u: Omit<User, 'updatedAt'> & { passwordHash: string }): Promise<void> {
	const t = now();
	await db().insertRows('users', [
		{
			id: u.id,
			email: u.email,
			password_hash: u.passwordHash,
			role: u.role,
			disabled: u.disabled ? 1 : 0,
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
	const user = { id: randomString(16), email, role, disabled: false, createdAt: now() };
	await writeUser({ ...user, passwordHash: await hashPassword(input.password) });
	return { ...user, updatedAt: user.createdAt };
}

/** Change role, enable/disable or set a new password; any change ends the user's sessions. */
export async function updateUser(
	id: string,
	change: { role?: string; disabled?: boolean; password?: string }
): Promise<User> {
	const rows = await db().query<UserRow>(latest(sql`id = ${{ String: id }}`));
	const current = rows[0];
	if (!current) throw notFound('user');
	const role = change.role === undefined ? current.role : checkRole(change.role);
	let passwordHash = current.passwordHash;
	if (change.password !== undefined) {
		await checkPasswordPolicy(change.password, { email: current.email });
		passwordHash = await hashPassword(change.password);
	}
	const disabled = change.disabled ?? !!current.disabled;
	await writeUser({ id, email: current.email, role, disabled, createdAt: current.createdAt, passwordHash });
	await invalidateUserSessions(id);
	return { ...toUser(current), role, disabled, updatedAt: now() };
}
