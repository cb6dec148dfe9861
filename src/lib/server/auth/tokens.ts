/**
 * API tokens for scripts and automation: `sst_<id>.<secret>`, shown once at creation; only the
 * SHA-256 of the secret is stored. The `sst_` prefix lets secret scanners recognise a leaked token.
 *
 * A token is not an identity of its own: it acts for the person who created it (their id and email,
 * with the token's role), so four-eyes, the last-admin rule and "not your own account" treat the
 * person and their tokens as one. It dies with its creator's standing: disabling or deleting the
 * creator revokes their tokens, lowering their role revokes the tokens above it (users.ts calls
 * revokeTokensBeyond), and every request checks the creator again, so a token never acts with more
 * than its creator's current role, nor for a disabled or deleted user, whatever the order of events.
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { invalid, notFound } from './errors';
import { hashesEqual, nextVersion, randomString, sha256Hex } from './secrets';
import { ROLES, roleCovers, type Role, type SessionUser } from './types';

const PREFIX = 'sst_';

/** A possible creator, deleted ones included. */
interface Creator {
	id: string;
	email: string;
	role: string;
	disabled: boolean;
	deleted: boolean;
	createdAt: number;
}

/** Users by id or by (current or past) email, deleted ones included: whom tokens act for. */
async function creators(refs: string[]): Promise<Creator[]> {
	if (refs.length === 0) return [];
	const list = { 'Array(String)': [...new Set(refs)] };
	const rows = await db().query<Omit<Creator, 'disabled' | 'deleted'> & { disabled: number; deleted: number }>(sql`
		SELECT id, argMax(email, version) AS email, argMax(role, version) AS role, argMax(disabled, version) AS disabled,
		       argMax(deleted, version) AS deleted, toUnixTimestamp64Milli(min(created_at)) AS createdAt
		FROM users WHERE id IN (SELECT id FROM users WHERE id IN ${list} OR email IN ${list}) GROUP BY id`);
	return rows.map((r) => ({ ...r, disabled: !!r.disabled, deleted: !!r.deleted }));
}

export interface ApiToken {
	id: string;
	name: string;
	role: Role;
	/** the email of the person the token acts for */
	createdBy: string;
	createdAt: number;
	revoked: boolean;
	/** 'active', or why the token does not work */
	status: string;
}
interface TokenRow {
	id: string;
	name: string;
	role: Role;
	/** the creator's user id (tokens made before tokens acted for people: their email) */
	createdBy: string;
	createdAt: number;
	secretHash: string;
	revoked: number;
}

const tokens = (where: ReturnType<typeof sql>) => sql`
	SELECT id, any(name) AS name, any(role) AS role, any(created_by) AS createdBy, any(secret_hash) AS secretHash,
	       toUnixTimestamp64Milli(min(created_at)) AS createdAt, max(revoked) AS revoked
	FROM api_tokens WHERE ${where} GROUP BY id ORDER BY createdAt DESC`;

/**
 * Whom a token acts for. Tokens record their creator's user id; older ones recorded an email, which
 * names the user who had it when the token was made (a user created later with that email, after a
 * deletion, is someone else). A token made by another token before this rule has no person: null.
 */
function creatorOf(t: Pick<TokenRow, 'createdBy' | 'createdAt'>, users: Creator[]): Creator | null {
	const byId = users.find((u) => u.id === t.createdBy);
	if (byId) return byId;
	const byEmail = users.filter((u) => u.email === t.createdBy && u.createdAt <= t.createdAt).sort((a, b) => b.createdAt - a.createdAt);
	return byEmail[0] ?? null;
}

/** 'active', or why the token does not work (revoked; its creator gone, disabled or demoted). */
function statusOf(t: TokenRow, creator: Creator | null): string {
	if (t.revoked) return 'revoked';
	if (!creator) return 'creator unknown';
	if (creator.deleted) return 'creator deleted';
	if (creator.disabled) return 'creator disabled';
	if (!roleCovers(creator.role, t.role)) return `creator is no longer ${t.role}`;
	return 'active';
}

/** Create a token acting for `createdBy` (a user id) with `role`, which may not exceed theirs. */
export async function createApiToken(input: { name: string; role: string; createdBy: string }): Promise<{ token: string; id: string }> {
	const name = input.name.trim();
	if (!name || name.length > 100) throw invalid('a token needs a name (at most 100 characters)');
	if (!(ROLES as readonly string[]).includes(input.role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
	const creator = (await creators([input.createdBy])).find((u) => u.id === input.createdBy);
	if (!creator || creator.deleted || creator.disabled) throw invalid('a token acts for an enabled user: its creator was not found or is disabled');
	if (!roleCovers(creator.role, input.role)) throw invalid(`a token cannot have more than its creator's role (${creator.role})`);
	const id = randomString(16);
	const secret = randomString(32);
	const t = now();
	await db().insertRows('api_tokens', [
		{
			id,
			name,
			secret_hash: sha256Hex(secret),
			role: input.role,
			created_by: creator.id,
			created_at: chTime(t),
			revoked: 0,
			version: nextVersion(t)
		}
	]);
	return { token: `${PREFIX}${id}.${secret}`, id };
}

export async function listApiTokens(): Promise<ApiToken[]> {
	const rows = await db().query<TokenRow>(tokens(sql`1`));
	const users = await creators(rows.map((r) => r.createdBy));
	return rows.map((r) => {
		const creator = creatorOf(r, users);
		return { id: r.id, name: r.name, role: r.role, createdBy: creator?.email ?? r.createdBy, createdAt: r.createdAt, revoked: !!r.revoked, status: statusOf(r, creator) };
	});
}

async function revoke(rows: TokenRow[]): Promise<void> {
	if (rows.length === 0) return;
	const t = now();
	await db().insertRows(
		'api_tokens',
		rows.map((r) => ({
			id: r.id,
			name: r.name,
			secret_hash: r.secretHash,
			role: r.role,
			created_by: r.createdBy,
			created_at: chTime(r.createdAt),
			revoked: 1,
			revoked_at: chTime(t),
			version: nextVersion(t)
		}))
	);
}

export async function revokeApiToken(id: string): Promise<void> {
	const rows = await db().query<TokenRow>(tokens(sql`id = ${{ String: id }}`));
	if (!rows[0]) throw notFound('token');
	await revoke(rows);
}

/**
 * Revoke a user's tokens that their standing no longer covers: all of them when `role` is null (the
 * user was disabled or deleted), else those whose role is above `role`. `email` finds tokens made
 * before tokens recorded their creator's id (created_by held the email then).
 */
export async function revokeTokensBeyond(user: { id: string; email: string }, role: Role | null): Promise<number> {
	const rows = await db().query<TokenRow>(tokens(sql`created_by IN ${{ 'Array(String)': [user.id, user.email] }}`));
	const doomed = rows.filter((r) => !r.revoked && (role === null || !roleCovers(role, r.role)));
	await revoke(doomed);
	return doomed.length;
}

/** The person a bearer token acts for, with the token's role; null if the token does not work. */
export async function validateApiToken(token: string): Promise<SessionUser | null> {
	if (!token.startsWith(PREFIX) || token.length > 200) return null;
	const [id, secret] = token.slice(PREFIX.length).split('.');
	if (!id || !secret) return null;
	const rows = await db().query<TokenRow>(tokens(sql`id = ${{ String: id }}`));
	const r = rows[0];
	if (!r || r.revoked || !hashesEqual(sha256Hex(secret), r.secretHash)) return null;
	if (!(ROLES as readonly string[]).includes(r.role)) return null;
	const creator = creatorOf(r, await creators([r.createdBy]));
	if (!creator || statusOf(r, creator) !== 'active') return null;
	return { id: creator.id, email: creator.email, role: r.role, via: 'token', token: { id: r.id, name: r.name } };
}
