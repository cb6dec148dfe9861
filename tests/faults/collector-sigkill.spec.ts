/**
 * Fault 1: the collector is killed with SIGKILL mid-stream while a real OTel exporter sends 50k
 * spans. After a restart and the client's re-sends, every span that was answered 200 is stored, and
 * the counts the console makes (by (TraceId, SpanId), and lineage by correlation ID) count each
 * span once. Spans in flight at the kill may be stored twice; to make sure the count-once check
 * meets duplicates, the client then re-sends some acknowledged batches too (OTLP allows it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { setDb } from '../../src/lib/server/db';
import { findLineage } from '../../src/lib/server/lineage';
import { makeSpans, runLoad, startRecordingProxy, type RecordingProxy } from './harness/load';
import { startSyncscope, type RunningProcess } from './harness/process';
import { report, storeCounts } from './harness/store';

const SPANS = 50_000;
const RESENT = 2_000;
const dir = mkdtempSync(join(tmpdir(), 'syncscope-fault-kill-'));
let proc: RunningProcess | undefined;
let proxy: RecordingProxy | undefined;
afterAll(async () => {
	proc?.kill('SIGKILL');
	await proxy?.close();
	rmSync(dir, { recursive: true, force: true });
});

it('loses no acknowledged span when the collector is SIGKILLed mid-stream', { timeout: 240_000 }, async () => {
	const env = { SYNCSCOPE_DATA_DIR: dir, SYNCSCOPE_RETRY_AFTER_SECONDS: '1' };
	const service = `fault-kill-${Date.now()}`;
	proc = await startSyncscope('collector', env);
	proxy = await startRecordingProxy(proc.ready.otlpHttpPort);
	const spans = makeSpans(SPANS, service);

	let restart: Promise<void> | undefined;
	let ackedAtKill = 0;
	const result = await runLoad({
		url: proxy.url,
		spans,
		batchSize: 500,
		concurrency: 6,
		deadlineMs: 180_000,
		onAck(n) {
			if (restart || n < 30) return;
			ackedAtKill = n;
			const victim = proc!;
			victim.kill('SIGKILL');
			restart = (async () => {
				await victim.exited;
				proc = await startSyncscope('collector', env);
				proxy!.target(proc.ready.otlpHttpPort);
			})();
		}
	});
	await restart;
	// a client that re-sends what was already answered (a lost ack on its side): stored again
	const resend = await runLoad({ url: proxy.url, spans: spans.slice(0, RESENT), batchSize: 500, concurrency: 2, deadlineMs: 60_000 });
	proc.kill('SIGTERM');
	const exit = await proc.exited;
	proc = undefined;

	const db = new EmbeddedDb(dir);
	const counts = await storeCounts(db, service, result.ackedKeys);
	// the console's lineage for re-sent spans: each span once
	setDb(db);
	const sample = [0, 1, 777, RESENT - 1].map((i) => `SO-${service}-${i}`);
	const lineageSpans = await Promise.all(sample.map(async (k) => (await findLineage(k)).spans.filter((s) => s.service === service).length));
	setDb(undefined);
	await db.close();
	report('sigkill', {
		sent: result.sentSpans,
		acked: result.ackedSpans,
		ackedBatchesAtKill: ackedAtKill,
		stored: counts.rows,
		distinct: counts.distinct,
		duplicates: counts.duplicates,
		ackedMissing: counts.ackedMissing,
		lineageDistinct: counts.lineageDistinct,
		resentAcked: resend.ackedSpans,
		lineageSpansForResentKeys: lineageSpans.join('/'),
		failedExportsResent: result.failedExports,
		droppedConnections: proxy.stats.dropped,
		http: JSON.stringify(proxy.stats.byStatus),
		seconds: (result.elapsedMs / 1000).toFixed(1)
	});

	expect(restart, 'the kill happened mid-stream').toBeDefined();
	expect(ackedAtKill).toBeLessThan(result.batches);
	expect(result.ackedBatches).toBe(result.batches);
	expect(counts.ackedMissing).toBe(0);
	expect(resend.ackedSpans).toBe(RESENT);
	expect(counts.duplicates).toBeGreaterThanOrEqual(RESENT);
	expect(counts.distinct).toBe(SPANS);
	expect(lineageSpans).toEqual([1, 1, 1, 1]);
	expect(counts.lineageDistinct).toBe(SPANS);
	expect(exit).toEqual({ code: 0, signal: null });
});
