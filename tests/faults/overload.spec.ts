/**
 * Fault 3: overload at 10x the sustainable rate. The store is made slow (every insert into the
 * ClickHouse HTTP fixture takes 1 s, one at a time), the sustainable rate is measured with a closed
 * loop that keeps group commit busy, then
 * an open loop offers ten times that. The collector answers 429 with Retry-After instead of queueing
 * without bound, does not crash, keeps its queue under the cap, and loses nothing it acknowledged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/server/config';
import { HttpDb } from '../../src/lib/server/db/http';
import { migrate } from '../../src/lib/server/db/migrate';
import { startClickHouseHttpFixture, type ClickHouseHttpFixture } from '../fixtures/clickhouse-http';
import { makeSpans, runLoad, startRecordingProxy, type RecordingProxy } from './harness/load';
import { MiB, sampleGauge, startSyncscope, type RunningProcess } from './harness/process';
import { report, storeCounts } from './harness/store';

const RSS_CAP = 512 * MiB;
const QUEUE_CAP = 2 * MiB;
const BATCH = 200;
const OVERLOAD_SECONDS = 6;
const MAX_SPANS = 80_000;
let fx: ClickHouseHttpFixture;
let db: HttpDb;
let proc: RunningProcess | undefined;
let proxy: RecordingProxy | undefined;

beforeAll(async () => {
	fx = await startClickHouseHttpFixture({ insertDelayMs: 1000 });
	db = new HttpDb({ url: fx.url, username: 'default', password: '', database: 'default' });
	await migrate(db, loadConfig({}, { clickhouseUrl: fx.url }));
});
afterAll(async () => {
	proc?.kill('SIGKILL');
	await proxy?.close();
	await db?.close();
	await fx?.close();
});

it('pushes back at 10x the sustainable rate without crashing or growing without bound', { timeout: 300_000 }, async () => {
	const service = `fault-overload-${Date.now()}`;
	proc = await startSyncscope('collector', {
		CLICKHOUSE_URL: fx.url,
		SYNCSCOPE_RETRY_AFTER_SECONDS: '1',
		SYNCSCOPE_MAX_QUEUED_BYTES: String(QUEUE_CAP),
		SYNCSCOPE_BATCH_MAX_ROWS: '1000'
	});
	const readyRss = proc.peakRss();
	proxy = await startRecordingProxy(proc.ready.otlpHttpPort);
	const ops = `http://127.0.0.1:${proc.ready.opsPort}`;

	// 1. sustainable rate: a closed loop with enough requests in flight to fill each insert
	const calib = await runLoad({ url: proxy.url, spans: makeSpans(5_000, `${service}-calib`), batchSize: BATCH, concurrency: 8, deadlineMs: 60_000 });
	const sustainable = calib.ackedSpans / (calib.elapsedMs / 1000);

	// 2. ten times that, open loop
	const offeredRate = sustainable * 10;
	const total = Math.min(MAX_SPANS, Math.round(offeredRate * OVERLOAD_SECONDS));
	const spans = makeSpans(total, service);
	const queued = sampleGauge(`${ops}/metrics`, 'syncscope_collector_queued_bytes');
	const before = { ...proxy.stats.byStatus };
	let aliveDuring = 0;
	const probe = setInterval(() => void fetch(`${ops}/healthz`).then((r) => r.ok && aliveDuring++, () => undefined), 500);
	const t0 = Date.now();
	const result = await runLoad({
		url: proxy.url,
		spans,
		batchSize: BATCH,
		concurrency: 400,
		batchesPerSecond: offeredRate / BATCH,
		deadlineMs: 200_000,
		exporterTimeoutMs: 60_000
	});
	const offerSeconds = total / offeredRate;
	clearInterval(probe);
	queued.stop();
	const peakRss = proc.peakRss();
	const answered429 = (proxy.stats.byStatus['429'] ?? 0) - (before['429'] ?? 0);
	const answered503 = (proxy.stats.byStatus['503'] ?? 0) - (before['503'] ?? 0);
	proc.kill('SIGTERM');
	const exit = await proc.exited;
	proc = undefined;

	const counts = await storeCounts(db, service, result.ackedKeys);
	report('overload', {
		sustainableSpansPerSec: sustainable.toFixed(0),
		offeredSpansPerSec: offeredRate.toFixed(0),
		offeredSeconds: offerSeconds.toFixed(1),
		sent: result.sentSpans,
		acked: result.ackedSpans,
		answered429,
		answered503,
		withRetryAfter: proxy.stats.withRetryAfter,
		maxQueuedBytes: queued.max(),
		queueCap: QUEUE_CAP,
		rssAtReadyMiB: (readyRss / MiB).toFixed(0),
		peakRssMiB: (peakRss / MiB).toFixed(0),
		stored: counts.rows,
		distinct: counts.distinct,
		duplicates: counts.duplicates,
		ackedMissing: counts.ackedMissing,
		secondsToDrainAll: ((Date.now() - t0) / 1000).toFixed(1),
		http: JSON.stringify(proxy.stats.byStatus)
	});

	expect(answered429 + answered503).toBeGreaterThan(0);
	expect(proxy.stats.withRetryAfter).toBe((proxy.stats.byStatus['429'] ?? 0) + (proxy.stats.byStatus['503'] ?? 0));
	expect(aliveDuring).toBeGreaterThan(0);
	expect(queued.max()).toBeLessThanOrEqual(QUEUE_CAP);
	// the whole process, too: a queue that grew without bound would take it far past this
	expect(peakRss).toBeLessThan(RSS_CAP);
	expect(counts.ackedMissing).toBe(0);
	expect(counts.distinct).toBe(result.ackedSpans);
	expect(exit).toEqual({ code: 0, signal: null });
});
