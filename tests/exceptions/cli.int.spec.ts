/** `syncscope audit verify` against a data directory, as an operator would run it. */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { failMessage } from './telemetry';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { performAction } from '../../src/lib/server/exceptions/service';
import { auditCsv, evidencePack } from '../../src/lib/server/exceptions/evidence';
import { sql } from '../../src/lib/server/db';

let t: TestDb;
beforeAll(async () => {
	t = await exceptionsDb();
	await failMessage(t.db, { flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: 'cli-1', correlationId: 'SO-77' });
	const id = exceptionId('order-to-cash', 'cli-1');
	await performAction(id, { action: 'assign', assignee: 'erp-team', comment: '=HYPERLINK("x")' }, users.operator);
	await performAction(id, { action: 'quarantine', comment: 'waiting for ERP fix' }, users.operator);
	await performAction(id, { action: 'release' }, users.approver);
});
afterAll(async () => t?.cleanup());

/** The CLI talks to the same store: the data dir (embedded) or the server URL (http transport). */
/** The CLI reads the console's configuration, secret key included (it checks the audit HMACs with it). */
const env = () => ({ ...process.env, SYNCSCOPE_DATA_DIR: t.dir, SYNCSCOPE_SECRET_KEY: t.config.secretKey, ...(t.transport === 'http' ? { CLICKHOUSE_URL: t.config.clickhouseUrl! } : {}) });
// asynchronous: with the http transport the ClickHouse fixture answers from this very process
const cli = (args: string[]) =>
	new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
		execFile('node', ['bin/syncscope.js', ...args], { env: env(), encoding: 'utf8' }, (err, stdout, stderr) =>
			resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
		)
	);
// chDB holds the data dir exclusively: hand it to the CLI process (a server needs no hand-over)
const handOver = async () => (t.transport === 'embedded' ? t.db.close() : undefined);

describe('evidence and audit verify', () => {
	it('exports an evidence pack for a business key, CSV safe for spreadsheets', async () => {
		const pack = await evidencePack('SO-77');
		expect(pack.exceptions).toHaveLength(1);
		expect(pack.audit.map((a) => a.Action)).toEqual(['assign', 'quarantine', 'release']);
		expect(pack.chain.ok).toBe(true);
		const csv = auditCsv(pack.audit);
		expect(csv.split('\r\n')[0]).toMatch(/^Seq,At,Actor,Role,Action/);
		expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
	});

	it('the CLI reports an intact chain, then the first broken link', async () => {
		await handOver();
		const ok = await cli(['audit', 'verify']);
		expect(ok.stdout, ok.stderr).toContain('audit log intact: 3 rows');
		expect(ok.status).toBe(0);
		await t.db.exec(sql`ALTER TABLE audit_log UPDATE Comment = 'edited' WHERE Seq = 2 SETTINGS mutations_sync = 1`);
		await handOver();
		const bad = await cli(['audit', 'verify']);
		expect(bad.status).toBe(1);
		expect(bad.stderr).toContain('BROKEN at row 2');
		const json = JSON.parse((await cli(['audit', 'export', 'SO-77'])).stdout);
		expect(json.chain).toMatchObject({ ok: false, broken: { seq: 2 } });
	});
});
