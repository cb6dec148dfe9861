/**
 * Walk the audit chain and report the first thing that does not hold: a missing row, a row whose
 * hash or link is wrong, a row whose HMAC does not match (rewritten, hashes after it recomputed),
 * an HMAC stripped from a row that must carry one, or a table that ends before the row the head
 * checkpoint records (the newest rows deleted). Rows written before the HMAC (migration 210) are
 * checked by their hash chain only, and counted as such.
 */
import { db, sql } from '../db';
import { checkpointRefusal, readCheckpoint, type AuditCheckpoint, type CheckpointRead } from './checkpoint';
import { auditMac, existingAuditKey, macEquals } from './hmac';
import { GENESIS, rowHash, type AuditRow } from './log';

export interface VerifyResult {
	ok: boolean;
	/** rows that checked out before the first problem (all rows when ok) */
	rows: number;
	/** of those, rows written before the audit HMAC existed: verified by the old rule (hash chain) only */
	legacyRows: number;
	/** the head checkpoint file: absent, invalid, or the row it records */
	checkpoint: { file: string; state: CheckpointRead['state']; seq?: number; at?: string };
	/** the first problem, if any */
	broken?: { seq: number; kind: 'missing' | 'altered' | 'truncated' | 'checkpoint' | 'key'; reason: string };
}

export interface VerifyOptions {
	/** further checkpoints to hold the table to (from evidence packs or copies kept elsewhere) */
	checkpoints?: unknown[];
}

const PAGE = 5000;

export async function verifyAudit(opts: VerifyOptions = {}): Promise<VerifyResult> {
	const key = existingAuditKey();
	const head = await readCheckpoint(key);
	const checkpoint: VerifyResult['checkpoint'] =
		head.state === 'ok' ? { file: head.file, state: 'ok', seq: head.checkpoint.seq, at: head.checkpoint.at } : { file: head.file, state: head.state };
	const anchors: (AuditCheckpoint & { source: string })[] = head.state === 'ok' ? [{ ...head.checkpoint, source: `the head checkpoint (${head.file})` }] : [];
	let count = 0;
	let legacy = 0;
	const fail = (seq: number, kind: NonNullable<VerifyResult['broken']>['kind'], reason: string): VerifyResult => ({ ok: false, rows: count, legacyRows: legacy, checkpoint, broken: { seq, kind, reason } });

	for (const [i, extra] of (opts.checkpoints ?? []).entries()) {
		const why = key ? checkpointRefusal(extra, key) : 'no audit key to check it with';
		if (why) return fail(0, 'checkpoint', `supplied checkpoint ${i + 1} is not valid: ${why}`);
		anchors.push({ ...(extra as AuditCheckpoint), source: `supplied checkpoint ${i + 1}` });
	}
	const macFrom = Math.min(...anchors.map((a) => a.macFrom));
	let prev = GENESIS;
	let expectedSeq = 1;
	let firstMac = 0;
	for (;;) {
		const rows = await db().query<AuditRow>(
			sql`SELECT * FROM audit_log WHERE Seq >= ${{ UInt64: expectedSeq }} ORDER BY Seq LIMIT ${{ UInt32: PAGE }}`
		);
		for (const r of rows) {
			if (r.Seq !== expectedSeq) return fail(expectedSeq, 'missing', `row ${expectedSeq} is missing (next is ${r.Seq})`);
			if (r.PrevHash !== prev) return fail(r.Seq, 'altered', `prev hash does not match row ${r.Seq - 1}'s hash`);
			const { Hash, Mac, ...rest } = r;
			if (rowHash(rest) !== Hash) return fail(r.Seq, 'altered', `row ${r.Seq} was altered (its hash does not match its content)`);
			if (Mac) {
				if (!key) return fail(r.Seq, 'key', `row ${r.Seq} carries an HMAC but the audit key is not available (set SYNCSCOPE_SECRET_KEY, or run where <dataDir>/secret.key is)`);
				if (!macEquals(Mac, auditMac(key, 'row', Hash)))
					return fail(r.Seq, 'altered', firstMac === 0 && legacy > 0
						? `row ${r.Seq} was altered (HMAC mismatch): it, or one of the ${legacy} rows before the audit HMAC, was rewritten and the hashes after it recomputed (or the key differs from the writer's)`
						: `row ${r.Seq} was altered (HMAC mismatch): rewritten with the hashes after it recomputed (or the key differs from the writer's)`);
				firstMac ||= r.Seq;
			} else {
				if (firstMac || r.Seq >= macFrom)
					return fail(r.Seq, 'altered', `row ${r.Seq} was altered: it has no HMAC, but every row from ${firstMac || macFrom} on must carry one`);
				legacy++;
			}
			for (const a of anchors)
				if (a.seq === r.Seq && a.hash !== Hash)
					return fail(r.Seq, 'truncated', `row ${r.Seq} is not the row ${a.source} recorded at ${a.at}: rows up to it were deleted and others appended in their place`);
			prev = Hash;
			expectedSeq++;
			count++;
		}
		if (rows.length < PAGE) break;
	}
	for (const a of anchors)
		if (a.seq > count) return fail(count + 1, 'truncated', `rows missing at the end: ${a.source} records row ${a.seq} (${a.at}), the table ends at row ${count}`);
	if (head.state === 'invalid') return fail(0, 'checkpoint', `the head checkpoint ${head.file} is not valid: ${head.reason}`);
	return { ok: true, rows: count, legacyRows: legacy, checkpoint };
}
