/**
 * Evidence pack for one business key (correlation ID, message ID, idempotency key or entity ID):
 * the exceptions, every audit row about them (with hashes, so the chain can be checked), the
 * deliveries, the chain verification at export time, and the audit log's signed head checkpoint
 * (keep the pack: `syncscope audit verify --checkpoint <pack.json>` later proves the log still holds
 * every row up to it). JSON, and CSV of the audit trail.
 */
import { db, sql } from '../db';
import type { AuditRow } from '../audit/log';
import { verifyAudit, type VerifyResult } from '../audit/verify';
import { readCheckpoint, type AuditCheckpoint } from '../audit/checkpoint';
import { existingAuditKey } from '../audit/hmac';
import { queryExceptions, type ExceptionRow } from './queries';
import type { DeliveryLogRow } from '../actions/delivery';

export interface EvidencePack {
	key: string;
	generatedAt: string;
	exceptions: ExceptionRow[];
	audit: AuditRow[];
	deliveries: DeliveryLogRow[];
	chain: VerifyResult;
	/** the head checkpoint when the pack was made (null when there is none, or it is not valid) */
	checkpoint: AuditCheckpoint | null;
}

export async function evidencePack(key: string): Promise<EvidencePack> {
	const exceptions = await queryExceptions({ key });
	const ids = exceptions.map((e) => e.id);
	const [audit, deliveries, chain, head] = await Promise.all([
		db().query<AuditRow>(sql`SELECT * FROM audit_log WHERE (SubjectType = 'exception' AND SubjectId IN ${{ 'Array(String)': ids }}) OR BusinessKey = ${{ String: key }} ORDER BY Seq`),
		db().query<DeliveryLogRow>(sql`SELECT * FROM action_deliveries WHERE ExceptionId IN ${{ 'Array(String)': ids }} ORDER BY At, Attempt`),
		verifyAudit(),
		readCheckpoint(existingAuditKey())
	]);
	return { key, generatedAt: new Date().toISOString(), exceptions, audit, deliveries, chain, checkpoint: head.state === 'ok' ? head.checkpoint : null };
}

const COLUMNS: (keyof AuditRow)[] = ['Seq', 'At', 'Actor', 'Role', 'Action', 'SubjectType', 'SubjectId', 'BusinessKey', 'FromState', 'ToState', 'Comment', 'PayloadSha256', 'Result', 'PrevHash', 'Hash', 'Mac'];

/** One RFC 4180 CSV line; cells that a spreadsheet would run as formulas are prefixed with a quote. */
export function csvLine(values: readonly unknown[]): string {
	const cell = (v: unknown) => {
		let s = String(v ?? '');
		if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
		return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
	};
	return values.map(cell).join(',') + '\r\n';
}

/** The audit trail as RFC 4180 CSV. */
export function auditCsv(rows: AuditRow[]): string {
	return csvLine(COLUMNS) + rows.map((r) => csvLine(COLUMNS.map((c) => r[c]))).join('');
}
