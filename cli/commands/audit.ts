/**
 * `syncscope audit verify [--checkpoint <file>]…`: walk the hash-chained, HMAC'd audit log, hold it
 * to the head checkpoint (and to any checkpoint or evidence pack named), and report: intact (exit 0),
 * or the first problem — rows missing at the end, row N altered, row N missing (exit 1).
 * `syncscope audit export <business-key> [--csv]`: print the evidence pack for one business key.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { verifyAudit, type VerifyResult } from '../../src/lib/server/audit/verify';
import { auditCsv, evidencePack } from '../../src/lib/server/exceptions/evidence';

const USAGE = 'usage: syncscope audit verify [--checkpoint <checkpoint-or-evidence-pack.json>]… | syncscope audit export <business-key> [--csv]';

/** A checkpoint file, or an evidence pack whose `checkpoint` is one. */
function checkpointsFrom(args: string[]): unknown[] {
	const out: unknown[] = [];
	for (let i = 0; i < args.length; i++) {
		if (args[i] !== '--checkpoint') continue;
		const file = args[++i];
		if (!file) throw new Error('--checkpoint needs a file');
		const v = JSON.parse(readFileSync(file, 'utf8')) as { checkpoint?: unknown; audit?: unknown };
		out.push(v && typeof v === 'object' && 'audit' in v ? v.checkpoint : v);
	}
	return out;
}

/** What verify found, in the words an auditor reads. */
export function verifyReport(r: VerifyResult): { ok: boolean; lines: string[] } {
	const legacy = r.legacyRows
		? r.legacyRows === r.rows
			? `all ${r.rows} rows predate the audit HMAC and were verified by their hash chain only`
			: `rows 1–${r.legacyRows} predate the audit HMAC and were verified by their hash chain only (each later row's HMAC covers them)`
		: '';
	if (!r.ok) {
		const b = r.broken!;
		const where = b.kind === 'truncated' || b.kind === 'checkpoint' || b.kind === 'key' ? '' : ` at row ${b.seq}`;
		return { ok: false, lines: [`audit log BROKEN${where}: ${b.reason} (${r.rows} rows before it verified)`, ...(legacy ? [legacy] : [])] };
	}
	const end =
		r.checkpoint.state === 'ok'
			? `the head checkpoint (row ${r.checkpoint.seq}, ${r.checkpoint.at}) matches`
			: `no head checkpoint at ${r.checkpoint.file}: rows deleted from the end could not be detected`;
	return { ok: true, lines: [`audit log intact: ${r.rows} rows, every link verified; ${end}`, ...(legacy ? [legacy] : [])] };
}

export async function run(args: string[]): Promise<void> {
	const [sub, ...rest] = args;
	if (sub !== 'verify' && sub !== 'export') {
		console.error(USAGE);
		process.exitCode = 2;
		return;
	}
	const config = setConfig(loadConfig());
	const db = createDb(config);
	setDb(db);
	try {
		if (sub === 'verify') {
			const report = verifyReport(await verifyAudit({ checkpoints: checkpointsFrom(rest) }));
			for (const line of report.lines) (report.ok ? console.log : console.error)(line);
			if (!report.ok) process.exitCode = 1;
		} else {
			const key = rest.find((a) => !a.startsWith('--'));
			if (!key) throw new Error('say which business key to export');
			const pack = await evidencePack(key);
			process.stdout.write(rest.includes('--csv') ? auditCsv(pack.audit) : JSON.stringify(pack, null, 2) + '\n');
		}
	} finally {
		await db.close();
	}
}
