/** Walk the audit chain and report the first row whose link or hash does not hold. */
import { db, sql } from '../db';
import { GENESIS, rowHash, type AuditRow } from './log';

export interface VerifyResult {
	ok: boolean;
	rows: number;
	/** the first broken link, if any */
	broken?: { seq: number; reason: string };
}

const PAGE = 5000;

export async function verifyAudit(): Promise<VerifyResult> {
	let prev = GENESIS;
	let expectedSeq = 1;
	let count = 0;
	for (;;) {
		const rows = await db().query<AuditRow>(
			sql`SELECT * FROM audit_log WHERE Seq >= ${{ UInt64: expectedSeq }} ORDER BY Seq LIMIT ${{ UInt32: PAGE }}`
		);
		for (const r of rows) {
			if (r.Seq !== expectedSeq) return { ok: false, rows: count, broken: { seq: expectedSeq, reason: `row ${expectedSeq} is missing (next is ${r.Seq})` } };
			if (r.PrevHash !== prev) return { ok: false, rows: count, broken: { seq: r.Seq, reason: `prev hash does not match row ${r.Seq - 1}'s hash` } };
			const { Hash, ...rest } = r;
			if (rowHash(rest) !== Hash) return { ok: false, rows: count, broken: { seq: r.Seq, reason: `row ${r.Seq} was altered (its hash does not match its content)` } };
			prev = Hash;
			expectedSeq++;
			count++;
		}
		if (rows.length < PAGE) return { ok: true, rows: count };
	}
}
