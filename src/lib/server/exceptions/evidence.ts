/**
 * Evidence pack for one business key (correlation ID, message ID, idempotency key or entity ID):
 * the exceptions, every audit row about them (with hashes, so the chain can be checked), the
 * deliveries, and the chain verification at export time. JSON, and CSV of the audit trail.
 */
import { db, sql } from '../db';
import type { AuditRow } from '../audit/log';
import { verifyAudit, type VerifyResult } from '../audit/verify';
import { queryExceptions, type ExceptionRow } from './queries';
import type { DeliveryLogRow } from '../actions/delivery';

export interface EvidencePack {
	key: string;
	generatedAt: string;
	exceptions: ExceptionRow[];
	audit: AuditRow[];
	deliveries: DeliveryLogRow[];
	chain: VerifyResult;
}

export async function evidencePack(key: string): Promise<EvidencePack> {
	const exceptions = await queryExceptions({ key });
	const ids = exceptions.map((e) => e.id);
	const [audit, deliveries, chain] = await Promise.all([
		db().query<AuditRow>(sql`SELECT * FROM audit_log WHERE (SubjectType = 'exception' AND SubjectId IN ${{ 'Array(String)': ids }}) OR BusinessKey = ${{ String: key }} ORDER BY Seq`),
		db().query<DeliveryLogRow>(sql`SELECT * FROM action_deliveries WHERE ExceptionId IN ${{ 'Array(String)': ids }} ORDER BY At, Attempt`),
		verifyAudit()
	]);
	return { key, generatedAt: new Date().toISOString(), exceptions, audit, deliveries, chain };
}

const COLUMNS: (keyof AuditRow)[] = ['Seq', 'At', 'Actor', 'Role', 'Action', 'SubjectType', 'SubjectId', 'BusinessKey', 'FromState', 'ToState', 'Comment', 'PayloadSha256', 'Result', 'PrevHash', 'Hash'];

/** RFC 4180 CSV; cells that a spreadsheet would run as formulas are prefixed with a quote. */
export function auditCsv(rows: AuditRow[]): string {
	const cell = (v: unknown) => {
		let s = String(v ?? '');
		if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
		return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
	};
	return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
