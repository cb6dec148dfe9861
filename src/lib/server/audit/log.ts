/**
 * The append-only, hash-chained audit log (table audit_log, migration 202). Appends are serialised
 * in this process by a queue, and across processes by an optimistic compare-and-set: each row is
 * inserted with insert_deduplication_token `audit:<Seq>`, so when two writers race for the same Seq
 * ClickHouse keeps the first and drops the second; the loser sees someone else's row at that Seq,
 * re-reads the head and re-runs its check (which may now refuse, e.g. "already approved").
 * Each row also carries an HMAC keyed outside ClickHouse (hmac.ts), and each append moves a signed
 * head checkpoint kept outside ClickHouse (checkpoint.ts); verify.ts checks both.
 */
import { randomUUID } from 'node:crypto';
import { db, sql } from '../db';
import { logger } from '../log';
import { canonicalJson, sha256Hex } from './canonical';
import { readCheckpoint, signCheckpoint, writeCheckpoint } from './checkpoint';
import { auditKey, auditMac } from './hmac';

export interface AuditInput {
	actor: string;
	role: string;
	action: string;
	subjectType: 'exception' | 'runbook' | 'endpoint' | 'allowlist' | 'flow_catalogue' | 'ingest_source' | 'interpretation' | 'user' | 'auth_setting' | 'alert' | 'alert_rule' | 'alert_channel';
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
	/** HMAC of Hash with the audit key (hmac.ts); '' on rows written before migration 210 */
	Mac: string;
}

export const GENESIS = '0'.repeat(64);

/** The hash a row must carry: SHA-256 over its predecessor's hash and its own canonical JSON. */
export function rowHash(row: Omit<AuditRow, 'Hash' | 'Mac'>): string {
	const { Seq, ActionId, At, Actor, Role, Action, SubjectType, SubjectId, BusinessKey, FromState, ToState, Comment, PayloadSha256, Result, Data, PrevHash } = row;
	const body = { Seq, ActionId, At, Actor, Role, Action, SubjectType, SubjectId, BusinessKey, FromState, ToState, Comment, PayloadSha256, Result, Data };
	return sha256Hex(PrevHash + canonicalJson(body));
}

/** A row with its Hash and its HMAC (what a writer stores). */
export function sealRow(row: Omit<AuditRow, 'Hash' | 'Mac'>, key = auditKey()): AuditRow {
	const Hash = rowHash(row);
	return { ...row, Hash, Mac: auditMac(key, 'row', Hash) };
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
		// before anything is written: without the key (server mode needs SYNCSCOPE_SECRET_KEY) nothing is
		const key = auditKey();
		let vanished = 0;
		for (let attempt = 0; attempt < 20; attempt++) {
			// head first, then the check: the check's view includes everything up to the head, and
			// any row another writer adds after this read takes Seq head+1, so our insert collides,
			// is dropped by the dedup token, and we re-check on top of it
			const h = await head();
			const input = await check();
			const row: Omit<AuditRow, 'Hash' | 'Mac'> = {
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
			const full = sealRow(row, key);
			await db().insertRaw('audit_log', Buffer.from(JSON.stringify(full) + '\n'), {
				format: 'JSONEachRow',
				dedupToken: `audit:${full.Seq}`
			});
			const stored = await db().query<{ ActionId: string }>(
				sql`SELECT ActionId FROM audit_log WHERE Seq = ${{ UInt64: full.Seq }} LIMIT 1`
			);
			if (stored[0]?.ActionId === full.ActionId) {
				await advanceCheckpoint(full, key);
				return full;
			}
			// no row at all: the dedup token was spent on a row that is gone, i.e. rows were deleted
			// from the end (a replica that lags shows this once, not again and again)
			if (stored.length === 0 && ++vanished >= 3)
				throw new Error(`audit log: row ${full.Seq} was written before and is no longer in the table (the newest rows were deleted); nothing can be appended: run \`syncscope audit verify\``);
			// another process took this Seq: re-read and re-check on top of its row
		}
		throw new Error('audit log: could not append after 20 attempts (heavy contention)');
	});
}

/**
 * Move the head checkpoint to a row just appended, if the chain being extended still runs through
 * the checkpointed row. When it does not (rows were deleted, or rewritten), the checkpoint is left
 * as it is, as evidence, and the log says so; `syncscope audit verify` reports it. A failure here
 * never fails the action: its row is stored.
 */
async function advanceCheckpoint(row: AuditRow, key: Buffer): Promise<void> {
	const log = logger('audit');
	try {
		const cur = await readCheckpoint(key);
		if (cur.state === 'invalid') {
			log.error('audit head checkpoint is invalid; left as it is: run `syncscope audit verify`', { file: cur.file, reason: cur.reason });
			return;
		}
		let macFrom = row.Seq;
		if (cur.state === 'ok') {
			const cp = cur.checkpoint;
			const hashThere =
				cp.seq === row.Seq - 1
					? row.PrevHash
					: (await db().query<{ Hash: string }>(sql`SELECT Hash FROM audit_log WHERE Seq = ${{ UInt64: cp.seq }} LIMIT 1`))[0]?.Hash;
			if (hashThere !== cp.hash) {
				log.error('audit log no longer holds the row its head checkpoint records (rows deleted or rewritten); checkpoint left as evidence: run `syncscope audit verify`', { file: cur.file, checkpointSeq: cp.seq, appendedSeq: row.Seq });
				return;
			}
			if (cp.seq >= row.Seq) return; // another writer sharing the file is ahead
			macFrom = cp.macFrom;
		} else {
			const first = await db().query<{ s: number }>(sql`SELECT min(Seq) AS s FROM audit_log WHERE Mac != ''`);
			macFrom = Number(first[0]?.s) || row.Seq;
		}
		await writeCheckpoint(signCheckpoint(key, { seq: row.Seq, hash: row.Hash, macFrom, at: row.At }), cur.file);
	} catch (err) {
		log.error('could not write the audit head checkpoint', { err });
	}
}

/** Rows for one subject (an exception's history), oldest first. */
export async function auditFor(subjectType: string, subjectId: string): Promise<AuditRow[]> {
	return db().query<AuditRow>(
		sql`SELECT * FROM audit_log WHERE SubjectType = ${{ String: subjectType }} AND SubjectId = ${{ String: subjectId }} ORDER BY Seq`
	);
}

/** The newest rows about any subject of these types (e.g. a domain's change history), newest first. */
export async function auditOfTypes(subjectTypes: readonly string[], limit = 200): Promise<AuditRow[]> {
	return db().query<AuditRow>(
		sql`SELECT * FROM audit_log WHERE SubjectType IN ${{ 'Array(String)': [...subjectTypes] }} ORDER BY Seq DESC LIMIT ${{ UInt32: limit }}`
	);
}
