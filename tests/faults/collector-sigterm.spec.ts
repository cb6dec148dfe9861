/**
 * Fault 4: SIGTERM under load. The collector stops taking new requests (503 or refused
 * connections), answers what it had accepted once it is inserted, and exits 0; a restarted collector
 * takes the client's re-sends, and nothing that was answered 200 is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { makeSpans, runLoad, startRecordingProxy, type RecordingProxy } from './harness/load';
import { startSyncscope, type RunningProcess } from './harness/process';
import { report, storeCounts } from './harness/store';

const SPANS = 30_000;
const dir = mkdtempSync(join(tmpdir(), 'syncscope-fault-term-'));
let proc: RunningProcess | undefined;
let proxy: RecordingProxy | undefined;
afterAll(async () => {
	proc?.kill('SIGKILL');
	await proxy?.close();
	rmSync(dir, { recursive: true, force: true });
});

it('drains on SIGTERM under load, exits 0, and loses nothing it acknowledged', { timeout: 240_000 }, async () => {
	const env = { SYNCSCOPE_DATA_DIR: dir, SYNCSCOPE_RETRY_AFTER_SECONDS: '1', SYNCSCOPE_SHUTDOWN_TIMEOUT_MS: '20000' };
	const service = `fault-term-${Date.now()}`;
	proc = await startSyncscope('collector', env);
	proxy = await startRecordingProxy(proc.ready.otlpHttpPort);
	const spans = makeSpans(SPANS, service);

	let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null; drainMs: number }> | undefined;
	let ackedAtTerm = 0;
	const result = await runLoad({
		url: proxy.url,
		spans,
		batchSize: 250,
		concurrency: 8,
		deadlineMs: 180_000,
		onAck(n) {
			if (stopped || n < 25) return;
			ackedAtTerm = n;
			const victim = proc!;
			const t0 = Date.now();
			victim.kill('SIGTERM');
			stopped = (async () => {
				const exit = await victim.exited;
				const drainMs = Date.now() - t0;
				proc = await startSyncscope('collector', env);
				proxy!.target(proc.ready.otlpHttpPort);
				return { ...exit, drainMs };
			})();
		}
	});
	const firstExit = await stopped;
	proc.kill('SIGTERM');
	const secondExit = await proc.exited;
	proc = undefined;

	const db = new EmbeddedDb(dir);
	const counts = await storeCounts(db, service, result.ackedKeys);
	await db.close();
	report('sigterm', {
		sent: result.sentSpans,
		acked: result.ackedSpans,
		ackedBatchesAtTerm: ackedAtTerm,
		stored: counts.rows,
		distinct: counts.distinct,
		duplicates: counts.duplicates,
		ackedMissing: counts.ackedMissing,
		drainMs: firstExit?.drainMs ?? -1,
		exitCode: String(firstExit?.code),
		failedExportsResent: result.failedExports,
		droppedConnections: proxy.stats.dropped,
		http: JSON.stringify(proxy.stats.byStatus)
	});

	expect(firstExit).toMatchObject({ code: 0, signal: null });
	expect(secondExit).toEqual({ code: 0, signal: null });
	expect(ackedAtTerm).toBeLessThan(result.batches);
	expect(result.ackedBatches).toBe(result.batches);
	expect(counts.ackedMissing).toBe(0);
	expect(counts.distinct).toBe(SPANS);
	expect(counts.lineageDistinct).toBe(SPANS);
});
