/**
 * Per-source ingest tokens (optional, SYNCSCOPE_INGEST_AUTH): `Authorization: Bearer <token>` on
 * OTLP/HTTP and in gRPC metadata. Tokens are stored as SHA-256 hashes (ingest_tokens); the
 * collector keeps the hashes in memory and refreshes them every REFRESH_MS, or sooner on an unknown
 * token (at most every MISS_REFRESH_MS), so a new token works within seconds. A token added or
 * revoked in this process (embedded mode: the console's Administration → Ingest tokens, or the CLI
 * against it) takes effect on the next request; one revoked by another process (server mode) within
 * REFRESH_MS (docs/operations.md).
 */
import { sql, type Db } from '../../src/lib/server/db';
import { hashToken, tokenGeneration } from '../../src/lib/server/ingest-tokens';
import { UnauthenticatedError } from '../errors';

const REFRESH_MS = 5_000;
const MISS_REFRESH_MS = 2_000;

export class IngestTokens {
	private hashes = new Map<string, string>();
	private loadedAt = 0;
	private generation = -1;
	private loading: Promise<void> | null = null;

	constructor(private readonly db: Db) {}

	/** Resolve with the token's source; UnauthenticatedError when missing or unknown. */
	async check(token: string | undefined): Promise<string> {
		if (!token) throw new UnauthenticatedError();
		const hash = hashToken(token);
		const age = Date.now() - this.loadedAt;
		if (age > REFRESH_MS || this.generation !== tokenGeneration()) await this.refresh();
		let source = this.find(hash);
		if (source === undefined && Date.now() - this.loadedAt > MISS_REFRESH_MS) {
			await this.refresh();
			source = this.find(hash);
		}
		if (source === undefined) throw new UnauthenticatedError('unknown or revoked ingest token');
		return source;
	}

	/** A map lookup by hash: comparing SHA-256 digests leaks nothing useful about the token. */
	private find(hash: string): string | undefined {
		return this.hashes.get(hash);
	}

	private refresh(): Promise<void> {
		const generation = tokenGeneration();
		this.loading ??= this.db
			.query<{ TokenHash: string; Source: string }>(sql`SELECT TokenHash, Source FROM ingest_tokens FINAL WHERE Revoked = 0`)
			.then((rows) => {
				this.hashes = new Map(rows.map((r) => [r.TokenHash, r.Source]));
				this.loadedAt = Date.now();
				this.generation = generation;
			})
			.finally(() => {
				this.loading = null;
			});
		return this.loading;
	}
}
