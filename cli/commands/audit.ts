/**
 * `syncscope audit verify`: walk the hash-chained audit log and report the first broken link
 * (exit 1), or how many rows check out (exit 0).
 * `syncscope audit export <business-key> [--csv]`: print the evidence pack for one business key.
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { verifyAudit } from '../../src/lib/server/audit/verify';
import { auditCsv, evidencePack } from '../../src/lib/server/exceptions/evidence';

export async function run(args: string[]): Promise<void> {
	const [sub, ...rest] = args;
	if (sub !== 'verify' && sub !== 'export') {
		console.error('usage: syncscope audit verify | syncscope audit export <business-key> [--csv]');
		process.exitCode = 2;
		return;
	}
	const config = setConfig(loadConfig());
	const db = createDb(config);
	setDb(db);
	try {
		if (sub === 'verify') {
			const r = await verifyAudit();
			if (r.ok) console.log(`audit log intact: ${r.rows} rows, every link verified`);
			else {
				console.error(`audit log BROKEN at row ${r.broken!.seq}: ${r.broken!.reason} (${r.rows} rows before it verified)`);
				process.exitCode = 1;
			}
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
