/**
 * The append-only, hash-chained audit log (table audit_log, migration 202). Appends are serialised
 * in this process by a queue, and across processes by an optimistic compare-and-set: each row is
 * inserted with insert_deduplication_token `audit:<Seq>`, so when two writers race for the same Seq
 * ClickHouse keeps the first and drops the second; the loser sees someone else's row at that Seq,
 * re-reads the head and re-runs its check (which may now refuse, e.g. "already approved").
 */
import { randomUUID } from 'node:crypto';
import { db, sql } from '../db';
import { canonicalJson, sha256Hex } from './canonical';

export interface AuditInput {
	actor: string;
	role: string;
	action: string;
	subjectType: 'exception' | 'runbook' | 'endpoint' | 'allowlist' | 'flow_catalogue' | 'ingest_source' | 'interpretation';
	subjectId: string;
	businessKey?: string;
	fromState?: string;
	toState?: string;
	comment?: string;
	payloadSha256?: string;
	/** 'ok', or 'refused: <reason>' / 'failed: <reason>' */
	result: string;
	data?: Record<string, unknown>;
}

export interface AuditRow {
	Seq: number;
	ActionId: string;
	At: string;
	Actor: string;
	Role: string;
	Action: string;
	SubjectType: string;
	SubjectId: string;
	BusinessKey: string;
	FromState: string;
	ToState: string;
	Comment: string;
	PayloadSha256: string;
	Result: string;
	Data: string;
	PrevHash: string;
	Hash: string;
}

export const GENESIS = '0'.repeat(64);

/** The hash a row must carry: SHA-256 over its predecessor's hash and its own canonical JSON. */
export function rowHash(row: Omit<AuditRow, 'Hash'>): string {
	const { Seq, ActionId, At, Actor, Role, Action, SubjectType, SubjectId, BusinessKey, FromState, ToState, Comment, PayloadSha256, Result, Data, PrevHash } = row;
	const body = { Seq, ActionId, At, Actor, Role, Action, SubjectType, SubjectId, BusinessKey, FromState, ToState, Comment, PayloadSha256, Result, Data };
	return sha256Hex(PrevHash + canonicalJson(body));
}

let tail: Promise<unknown> = Promise.resolve();

/** Run fn with the process-wide audit lock held (appends and their pre-checks run one at a time). */
export function withAuditLock<T>(fn: () => Promise<T>): Promise<T> {
	const run = tail.then(fn, fn);
	tail = run.catch(() => undefined);
	return run;
}

async function head(): Promise<{ seq: number; hash: string }> {
	const rows = await db().query<{ Seq: number; Hash: string }>(
		sql`SELECT Seq, Hash FROM audit_log ORDER BY Seq DESC LIMIT 1`
	);
	return rows.length ? { seq: rows[0].Seq, hash: rows[0].Hash } : { seq: 0, hash: GENESIS };
}

/** ClickHouse DateTime64(3) text for now, so the hashed value equals the stored one. */
function nowText(): string {
	return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Append one row. `check` runs before every attempt (with the lock held, after reading the head)
 * and may throw to refuse, or return the final input (e.g. with the state it validated).
 */
export async function appendAudit(check: () => Promise<AuditInput>): Promise<AuditRow> {
	return withAuditLock(async () => {
		for (let attempt = 0; attempt < 20; attempt++) {
			// head first, then the check: the check's view includes everything up to the head, and
			// any row another writer adds after this read takes Seq head+1, so our insert collides,
			// is dropped by the dedup token, and we re-check on top of it
			const h = await head();
			const input = await check();
			const row: Omit<AuditRow, 'Hash'> = {
				Seq: h.seq + 1,
				ActionId: randomUUID(),
				At: nowText(),
				Actor: input.actor,
				Role: input.role,
				Action: input.action,
				SubjectType: input.subjectType,
				SubjectId: input.subjectId,
				BusinessKey: input.businessKey ?? '',
				FromState: input.fromState ?? '',
				ToState: input.toState ?? '',
				Comment: input.comment ?? '',
				PayloadSha256: input.payloadSha256 ?? '',
				Result: input.result,
				Data: input.data ? canonicalJson(input.data) : '',
				PrevHash: h.hash
			};
			const full: AuditRow = { ...row, Hash: rowHash(row) };
			await db().insertRaw('audit_log', Buffer.from(JSON.stringify(full) + '\n'), {
				format: 'JSONEachRow',
				dedupToken: `audit:${full.Seq}`
			});
			const stored = await db().query<{ ActionId: string }>(
				sql`SELECT ActionId FROM audit_log WHERE Seq = ${{ UInt64: full.Seq }} LIMIT 1`
			);
			if (stored[0]?.ActionId === full.ActionId) return full;
			// another process took this Seq: re-read and re-check on top of its row
		}
		throw new Error('audit log: could not append after 20 attempts (heavy contention)');
	});
}

/** Rows for one subject (an exception's history), oldest first. */
export async function auditFor(subjectType: string, subjectId: string): Promise<AuditRow[]> {
	return db().query<AuditRow>(
		sql`SELECT * FROM audit_log WHERE SubjectType = ${{ String: subjectType }} AND SubjectId = ${{ String: subjectId }} ORDER BY Seq`
	);
}
