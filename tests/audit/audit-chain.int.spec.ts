/**
 * The audit chain detects truncation and recomputation (issue 14 finding 6): each row carries an
 * HMAC keyed outside ClickHouse, and a signed head checkpoint outside the table records the newest
 * row. Attacks are run as someone with write access to ClickHouse but not to the key: delete the
 * newest rows; rewrite a row and recompute every later hash; strip the HMACs; cut the log back and
 * let the application append again. Old rows (before migration 210) are verified by the old rule.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDb, type TestDb } from '../helpers/db';
import { db, sql } from '../../src/lib/server/db';
import { appendAudit, GENESIS, rowHash, sealRow, type AuditRow } from '../../src/lib/server/audit/log';
import { verifyAudit } from '../../src/lib/server/audit/verify';
import { checkpointFile, type AuditCheckpoint } from '../../src/lib/server/audit/checkpoint';
import { evidencePack } from '../../src/lib/server/exceptions/evidence';
import { verifyReport } from '../../cli/commands/audit';

let t: TestDb;
beforeEach(async () => {
	t = await testDb({ secretKey: randomBytes(32).toString('base64') });
});
afterEach(async () => t?.cleanup());

async function append(n: number, from = 1): Promise<void> {
	for (let i = 0; i < n; i++)
		await appendAudit(async () => ({ actor: 'op@example.com', role: 'operator', action: 'comment', subjectType: 'exception', subjectId: `x${from + i}`, businessKey: 'SO-1', comment: `note ${from + i}`, result: 'ok' }));
}

const rows = () => db().query<AuditRow>(sql`SELECT * FROM audit_log ORDER BY Seq`);

/** Replace the whole table with these rows (what someone with ClickHouse write access can do). */
async function replaceTable(next: AuditRow[]): Promise<void> {
	await t.db.exec(sql`TRUNCATE TABLE audit_log`);
	await t.db.insertRaw('audit_log', Buffer.from(next.map((r) => JSON.stringify(r)).join('\n') + '\n'), { format: 'JSONEachRow', dedupToken: `rewrite:${randomBytes(8).toString('hex')}` });
}

/** Rewrite row `seq` and recompute every later PrevHash and Hash, as an attacker without the key can. */
function rewrite(all: AuditRow[], seq: number, change: Partial<AuditRow>, macOf: (r: AuditRow) => string = (r) => r.Mac): AuditRow[] {
	let prev = GENESIS;
	return all.map((r) => {
		const body = { ...r, ...(r.Seq === seq ? change : {}), PrevHash: prev };
		const { Hash: _h, Mac: _m, ...rest } = body;
		const out = { ...body, Hash: rowHash(rest) };
		out.Mac = r.Seq >= seq ? macOf(out) : r.Mac;
		prev = out.Hash;
		return out;
	});
}

describe('audit verify: truncation', () => {
	it('reports rows missing at the end when the newest rows are deleted (the head checkpoint is ahead of the table)', async () => {
		await append(6);
		const before = await verifyAudit();
		expect(before).toMatchObject({ ok: true, rows: 6, legacyRows: 0, checkpoint: { state: 'ok', seq: 6 } });
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq >= 5 SETTINGS mutations_sync = 1`);
		const after = await verifyAudit();
		expect(after).toMatchObject({ ok: false, rows: 4, broken: { seq: 5, kind: 'truncated' } });
		expect(after.broken!.reason).toMatch(/rows missing at the end: the head checkpoint .* records row 6 .*the table ends at row 4/);
	});

	it('after the newest rows are deleted, the application refuses to append (their Seq was spent) and says why', async () => {
		await append(6);
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq >= 5 SETTINGS mutations_sync = 1`);
		await expect(append(1, 100)).rejects.toThrow(/row 5 was written before and is no longer in the table/);
		expect((JSON.parse(readFileSync(checkpointFile(), 'utf8')) as AuditCheckpoint).seq).toBe(6);
	});

	it('reports a log cut back and written again with validly signed rows, and appends leave the checkpoint as evidence', async () => {
		await append(6);
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq >= 5 SETTINGS mutations_sync = 1`);
		// rows 5–7 signed with the key (as appends after the dedup window would be), chained on row 4
		let prev = (await rows())[3].Hash;
		const again: AuditRow[] = [5, 6, 7].map((seq) => {
			const r = sealRow({ Seq: seq, ActionId: `again-${seq}`, At: '2026-12-01 10:00:00.000', Actor: 'op@example.com', Role: 'operator', Action: 'comment', SubjectType: 'exception', SubjectId: 'y', BusinessKey: '', FromState: '', ToState: '', Comment: 'again', PayloadSha256: '', Result: 'ok', Data: '', PrevHash: prev });
			prev = r.Hash;
			return r;
		});
		await t.db.insertRaw('audit_log', Buffer.from(again.map((r) => JSON.stringify(r)).join('\n') + '\n'), { format: 'JSONEachRow', dedupToken: 'again' });
		const r = await verifyAudit();
		expect(r).toMatchObject({ ok: false, rows: 5, broken: { seq: 6, kind: 'truncated' } });
		expect(r.broken!.reason).toMatch(/row 6 is not the row the head checkpoint .* recorded/);
		await append(1, 200); // row 8: stored, but the checkpoint does not move past the evidence
		expect((JSON.parse(readFileSync(checkpointFile(), 'utf8')) as AuditCheckpoint).seq).toBe(6);
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { seq: 6, kind: 'truncated' } });
	});

	it('an evidence pack carries the signed checkpoint, and holds the table to it after the local file is gone', async () => {
		await append(5);
		const pack = await evidencePack('SO-1');
		expect(pack.checkpoint).toMatchObject({ version: 1, seq: 5, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
		expect(pack.audit.every((a) => /^[0-9a-f]{64}$/.test(a.Mac))).toBe(true);
		rmSync(checkpointFile());
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq = 5 SETTINGS mutations_sync = 1`);
		expect(await verifyAudit()).toMatchObject({ ok: true, checkpoint: { state: 'absent' } });
		expect(await verifyAudit({ checkpoints: [pack.checkpoint] })).toMatchObject({ ok: false, broken: { kind: 'truncated', reason: expect.stringContaining('supplied checkpoint 1 records row 5') } });
		// a checkpoint edited to claim less is refused, not trusted
		expect(await verifyAudit({ checkpoints: [{ ...pack.checkpoint!, seq: 4 }] })).toMatchObject({ ok: false, broken: { kind: 'checkpoint' } });
	});

	it('an edited checkpoint file is reported, and appends leave it as it is', async () => {
		await append(3);
		const file = checkpointFile();
		const cp = JSON.parse(readFileSync(file, 'utf8')) as AuditCheckpoint;
		writeFileSync(file, JSON.stringify({ ...cp, seq: 2 }));
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { kind: 'checkpoint', reason: expect.stringContaining('HMAC does not match') } });
		await append(1, 50);
		expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(2);
	});
});

describe('audit verify: recomputation', () => {
	it('reports the row rewritten with every later hash recomputed (HMAC mismatch)', async () => {
		await append(6);
		await replaceTable(rewrite(await rows(), 3, { Comment: 'nothing to see', Actor: 'someone-else' }));
		// the hash chain alone is consistent again: only the HMAC tells
		const r = await verifyAudit();
		expect(r).toMatchObject({ ok: false, rows: 2, broken: { seq: 3, kind: 'altered' } });
		expect(r.broken!.reason).toMatch(/row 3 was altered \(HMAC mismatch\)/);
	});

	it('reports HMACs stripped from rewritten rows (no downgrade to the old rule)', async () => {
		await append(6);
		await replaceTable(rewrite(await rows(), 4, { Comment: 'edited' }, () => ''));
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { seq: 4, kind: 'altered', reason: expect.stringMatching(/no HMAC, but every row from 1 on must carry one/) } });
	});

	it('reports every HMAC stripped, through the checkpoint', async () => {
		await append(4);
		await replaceTable(rewrite(await rows(), 1, { Comment: 'edited' }, () => '').map((r) => ({ ...r, Mac: '' })));
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { seq: 1, kind: 'altered' } });
	});

	it('cannot tell without the key holder\'s evidence: every HMAC stripped and the checkpoint file deleted (documented limit), and says the end is unchecked', async () => {
		await append(4);
		await replaceTable(rewrite(await rows(), 2, { Comment: 'edited' }, () => '').map((r) => ({ ...r, Mac: '' })));
		rmSync(checkpointFile());
		const r = await verifyAudit();
		expect(r).toMatchObject({ ok: true, rows: 4, legacyRows: 4, checkpoint: { state: 'absent' } });
		expect(verifyReport(r).lines.join('\n')).toMatch(/no head checkpoint .* could not be detected[\s\S]*all 4 rows predate the audit HMAC/);
	});
});

describe('audit verify: rows written before the HMAC', () => {
	/** rows as the log wrote them before migration 210: hash-chained, no Mac */
	async function legacyRows(n: number): Promise<void> {
		let prev = GENESIS;
		const out: AuditRow[] = [];
		for (let seq = 1; seq <= n; seq++) {
			const row = { Seq: seq, ActionId: `old-${seq}`, At: `2026-01-0${seq} 10:00:00.000`, Actor: 'op@example.com', Role: 'operator', Action: 'comment', SubjectType: 'exception', SubjectId: `old${seq}`, BusinessKey: 'SO-0', FromState: '', ToState: '', Comment: `old ${seq}`, PayloadSha256: '', Result: 'ok', Data: '', PrevHash: prev };
			const Hash = rowHash(row);
			out.push({ ...row, Hash, Mac: '' });
			prev = Hash;
		}
		await t.db.insertRaw('audit_log', Buffer.from(out.map((r) => JSON.stringify(r)).join('\n') + '\n'), { format: 'JSONEachRow', dedupToken: 'legacy' });
	}

	it('verifies them by their hash chain, says so, and signs from the first new row on', async () => {
		await legacyRows(3);
		expect(existsSync(checkpointFile())).toBe(false);
		await append(2);
		const cp = JSON.parse(readFileSync(checkpointFile(), 'utf8')) as AuditCheckpoint;
		expect(cp).toMatchObject({ seq: 5, macFrom: 4 });
		const r = await verifyAudit();
		expect(r).toMatchObject({ ok: true, rows: 5, legacyRows: 3 });
		expect(verifyReport(r).lines).toEqual([
			expect.stringMatching(/^audit log intact: 5 rows, every link verified; the head checkpoint \(row 5, .*\) matches$/),
			'rows 1–3 predate the audit HMAC and were verified by their hash chain only (each later row\'s HMAC covers them)'
		]);
	});

	it('an old row rewritten with the later hashes recomputed breaks the first HMAC after it', async () => {
		await legacyRows(3);
		await append(2);
		await replaceTable(rewrite(await rows(), 2, { Comment: 'edited' }));
		const r = await verifyAudit();
		expect(r).toMatchObject({ ok: false, rows: 3, legacyRows: 3, broken: { seq: 4, kind: 'altered' } });
		expect(r.broken!.reason).toContain('one of the 3 rows before the audit HMAC');
	});

	it('an old row edited without recomputing is reported by the old rule, as before', async () => {
		await legacyRows(3);
		await t.db.exec(sql`ALTER TABLE audit_log UPDATE Comment = 'edited' WHERE Seq = 2 SETTINGS mutations_sync = 1`);
		expect(await verifyAudit()).toMatchObject({ ok: false, broken: { seq: 2, kind: 'altered', reason: expect.stringContaining('hash does not match its content') } });
	});
});

describe('syncscope audit verify (CLI)', () => {
	const env = () => ({ ...process.env, SYNCSCOPE_DATA_DIR: t.dir, SYNCSCOPE_SECRET_KEY: t.config.secretKey, ...(t.transport === 'http' ? { CLICKHOUSE_URL: t.config.clickhouseUrl! } : {}) });
	const cli = (args: string[]) =>
		new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
			execFile('node', ['bin/syncscope.js', ...args], { env: env(), encoding: 'utf8' }, (err, stdout, stderr) =>
				resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
			)
		);
	const handOver = async () => (t.transport === 'embedded' ? t.db.close() : undefined);

	it('says intact, then "rows missing at the end" after the newest rows are deleted, and checks a kept evidence pack', async () => {
		await append(4);
		const pack = join(t.dir, 'pack.json');
		writeFileSync(pack, JSON.stringify(await evidencePack('SO-1')));
		await handOver();
		const ok = await cli(['audit', 'verify']);
		expect(ok.stdout, ok.stderr).toMatch(/audit log intact: 4 rows, every link verified; the head checkpoint \(row 4/);
		expect(ok.status).toBe(0);
		await t.db.exec(sql`ALTER TABLE audit_log DELETE WHERE Seq >= 3 SETTINGS mutations_sync = 1`);
		rmSync(checkpointFile());
		await handOver();
		const unchecked = await cli(['audit', 'verify']);
		expect(unchecked.stdout).toMatch(/no head checkpoint .* could not be detected/);
		const bad = await cli(['audit', 'verify', '--checkpoint', pack]);
		expect(bad.status).toBe(1);
		expect(bad.stderr).toMatch(/audit log BROKEN: rows missing at the end: supplied checkpoint 1 records row 4 .* the table ends at row 2/);
	});
});
