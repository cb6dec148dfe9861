/**
 * Per-source ingest tokens for the collector (SYNCSCOPE_INGEST_AUTH): created and revoked from the
 * CLI (`syncscope ingest-token`) or the admin page, checked by the collector
 * (collector/auth/ingest-tokens.ts). Only a token's SHA-256 is stored; the token is shown once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Db } from './db';

/** What a middleware source may be called: letters, digits, _ . : - (e.g. mulesoft-prod, edi:acme). */
export const SOURCE_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

export function hashToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

/** A new random token (shown once) and its hash (stored). */
export function newToken(): { token: string; hash: string } {
	const token = `sst_${randomBytes(32).toString('base64url')}`;
	return { token, hash: hashToken(token) };
}

/**
 * A process-wide generation of the token set, bumped on every add and revoke made in this process
 * (on globalThis: the console bundle and the collector share it in embedded mode), so the collector
 * drops its cached hashes at once instead of waiting for its refresh interval.
 */
const GENERATION = Symbol.for('syncscope.ingestTokens.generation');
type G = typeof globalThis & { [GENERATION]?: number };
export function tokenGeneration(): number {
	return (globalThis as G)[GENERATION] ?? 0;
}
function bumpGeneration(): void {
	(globalThis as G)[GENERATION] = tokenGeneration() + 1;
}

export async function addToken(db: Db, source: string): Promise<string> {
	const { token, hash } = newToken();
	await db.insertRows('ingest_tokens', [{ TokenHash: hash, Source: source, Revoked: 0 }]);
	bumpGeneration();
	return token;
}

/** Revoke every token of a source; returns how many were revoked. */
export async function revokeSource(db: Db, source: string): Promise<number> {
	const rows = await db.query<{ TokenHash: string }>(
		sql`SELECT TokenHash FROM ingest_tokens FINAL WHERE Source = ${{ String: source }} AND Revoked = 0`
	);
	if (rows.length) await db.insertRows('ingest_tokens', rows.map((r) => ({ TokenHash: r.TokenHash, Source: source, Revoked: 1 })));
	bumpGeneration();
	return rows.length;
}

export interface IngestSource {
	source: string;
	active: number;
	revoked: number;
	/** when its newest token was created or revoked (ISO) */
	lastChange: string;
}

/** Every source with its active and revoked token counts (never the hashes). */
export async function listIngestSources(db: Db): Promise<IngestSource[]> {
	const rows = await db.query<{ source: string; active: number; revoked: number; last: string }>(sql`
		SELECT Source AS source, countIf(Revoked = 0) AS active, countIf(Revoked = 1) AS revoked, toString(max(CreatedAt)) AS last
		FROM ingest_tokens FINAL GROUP BY Source ORDER BY Source`);
	return rows.map((r) => ({ source: r.source, active: Number(r.active), revoked: Number(r.revoked), lastChange: `${r.last.replace(' ', 'T')}Z` }));
}
