/**
 * Two console processes, one ClickHouse (over HTTP): two approvers approve the same replay at the
 * same moment from different processes. The audit log's compare-and-set (insert_deduplication_token
 * per Seq, then a re-read) lets exactly one approval land, and exactly one delivery go out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpDb } from '../../src/lib/server/db/http';
import { setDb } from '../../src/lib/server/db';
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { migrate } from '../../src/lib/server/db/migrate';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import { startClickHouseHttpFixture } from '../fixtures/clickhouse-http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { users } from './setup';
import { failMessage, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { performAction } from '../../src/lib/server/exceptions/service';
import { auditFor } from '../../src/lib/server/audit/log';
import { verifyAudit } from '../../src/lib/server/audit/verify';
import { deliveryLog } from '../../src/lib/server/actions/delivery';

const CHILD = fileURLToPath(new URL('./fixtures/approve-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'syncscope-mp-'));
const secretKey = randomBytes(32).toString('base64');
let fixture: Awaited<ReturnType<typeof startClickHouseHttpFixture>>;
let db: HttpDb;
let rx: Receiver;
let secret = '';

beforeAll(async () => {
	fixture = await startClickHouseHttpFixture({ dataDir: dir });
	const config = setConfig(loadConfig({}, { dataDir: dir, clickhouseUrl: fixture.url, secretKey, runbooksDir: 'runbooks' }));
	db = new HttpDb({ url: fixture.url, username: 'default', password: '', database: 'default' });
	setDb(db);
	setRunbookFiles(undefined);
	await migrate(db, config);
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
});
afterAll(async () => {
	await rx?.close();
	await db?.close();
	await fixture?.close();
	setDb(undefined);
	rmSync(dir, { recursive: true, force: true });
});

function child(approver: string, id: string): { proc: ChildProcess; ready: Promise<void>; result: Promise<{ ok: boolean; status?: number; reason?: string }> } {
	const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
		env: { ...process.env, CLICKHOUSE_URL: fixture.url, SYNCSCOPE_SECRET_KEY: secretKey, SYNCSCOPE_DATA_DIR: dir, SYNCSCOPE_DELIVERY_BACKOFF_MS: '5', APPROVER: approver, EXCEPTION_ID: id },
		stdio: ['pipe', 'pipe', 'inherit']
	});
	let out = '';
	let onReady: () => void;
	const ready = new Promise<void>((r) => (onReady = r));
	const result = new Promise<{ ok: boolean }>((resolve, reject) => {
		proc.stdout!.on('data', (d) => {
			out += d;
			if (out.includes('ready\n')) onReady();
		});
		proc.on('exit', () => {
			const last = out.trim().split('\n').at(-1)!;
			try {
				resolve(JSON.parse(last));
			} catch {
				reject(new Error(`child said: ${out}`));
			}
		});
	});
	return { proc, ready, result };
}

describe('approvals from two console processes', () => {
	it('one approval lands and one delivery goes out, however the race falls', async () => {
		const rounds = 3;
		for (let round = 0; round < rounds; round++) {
			const msg: Msg = { flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: `mp-${round}`, amount: 75_000, errorClass: 'validation' };
			const id = exceptionId(msg.flow, msg.messageId);
			await failMessage(db, msg);
			await performAction(id, { action: 'request_replay' }, users.operator);
			const a = child(users.approver.email, id);
			const b = child(users.approver2.email, id);
			await Promise.all([a.ready, b.ready]);
			a.proc.stdin!.write('go\n');
			b.proc.stdin!.write('go\n');
			const results = await Promise.all([a.result, b.result]);
			expect(results.filter((r) => r.ok)).toHaveLength(1);
			expect(results.find((r) => !r.ok)).toMatchObject({ status: 409 });
			const approvals = (await auditFor('exception', id)).filter((r) => r.Action === 'approve_replay' && r.Result === 'ok');
			expect(approvals).toHaveLength(1);
			expect((await deliveryLog(id)).filter((d) => d.Outcome === 'delivered')).toHaveLength(1);
			expect(rx.requests.filter((q) => q.body.data.exceptionId === id)).toHaveLength(1);
		}
		expect(await verifyAudit()).toMatchObject({ ok: true });
	});
});
