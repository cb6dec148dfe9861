/**
 * API tokens for scripts and automation: `sst_<id>.<secret>`, shown once at creation; only the
 * SHA-256 of the secret is stored. Each token acts with the role it was created with, and can be
 * revoked. The `sst_` prefix lets secret scanners recognise a leaked token.
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';
import { invalid, notFound } from './errors';
import { hashesEqual, nextVersion, randomString, sha256Hex } from './secrets';
import { ROLES, type Role, type SessionUser } from './types';

const PREFIX = 'sst_';

export interface ApiToken {
	id: string;
	name: string;
	role: Role;
	createdBy: string;
	createdAt: number;
	revoked: boolean;
}
interface TokenRow extends Omit<ApiToken, 'revoked'> {
	secretHash: string;
	revoked: number;
}

const tokens = (where: ReturnType<typeof sql>) => sql`
	SELECT id, any(name) AS name, any(role) AS role, any(created_by) AS createdBy, any(secret_hash) AS secretHash,
	       toUnixTimestamp64Milli(min(created_at)) AS createdAt, max(revoked) AS revoked
	FROM api_tokens WHERE ${where} GROUP BY id ORDER BY createdAt DESC`;

const toToken = ({ secretHash: _s, ...r }: TokenRow): ApiToken => ({ ...r, revoked: !!r.revoked });

export async function createApiToken(input: { name: string; role: string; createdBy: string }): Promise<{ token: string; id: string }> {
	const name = input.name.trim();
	if (!name || name.length > 100) throw invalid('a token needs a name (at most 100 characters)');
	if (!(ROLES as readonly string[]).includes(input.role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
	const id = randomString(16);
	const secret = randomString(32);
	const t = now();
	await db().insertRows('api_tokens', [
		{
			id,
			name,
			secret_hash: sha256Hex(secret),
			role: input.role,
			created_by: input.createdBy,
			created_at: chTime(t),
			revoked: 0,
			version: nextVersion(t)
		}
	]);
	return { token: `${PREFIX}${id}.${secret}`, id };
}

export async function listApiTokens(): Promise<ApiToken[]> {
	return (await db().query<TokenRow>(tokens(sql`1`))).map(toToken);
}

export async function revokeApiToken(id: string): Promise<void> {
	const rows = await db().query<TokenRow>(tokens(sql`id = ${{ String: id }}`));
	const r = rows[0];
	if (!r) throw notFound('token');
	const t = now();
	await db().insertRows('api_tokens', [
		{
			id,
			name: r.name,
			secret_hash: r.secretHash,
			role: r.role,
			created_by: r.createdBy,
			created_at: chTime(r.createdAt),
			revoked: 1,
			revoked_at: chTime(t),
			version: nextVersion(t)
		}
	]);
}

/** The identity a bearer token acts as, or null if it is unknown, wrong or revoked. */
export async function validateApiToken(token: string): Promise<SessionUser | null> {
	if (!token.startsWith(PREFIX) || token.length > 200) return null;
	const [id, secret] = token.slice(PREFIX.length).split('.');
	if (!id || !secret) return null;
	const rows = await db().query<TokenRow>(tokens(sql`id = ${{ String: id }}`));
	const r = rows[0];
	if (!r || r.revoked || !hashesEqual(sha256Hex(secret), r.secretHash)) return null;
	if (!(ROLES as readonly string[]).includes(r.role)) return null;
	return { id: `token:${r.id}`, email: `token:${r.name}`, role: r.role, via: 'token' };
}
