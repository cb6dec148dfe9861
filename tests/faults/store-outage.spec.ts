/**
 * Fault 2: the store goes away for a while under load (the ClickHouse HTTP fixture stops listening).
 * The collector answers 503/429 with Retry-After, keeps its queue under the configured cap, loses
 * nothing it acknowledged, and the client's retried data lands after recovery, counted once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/server/config';
import { HttpDb } from '../../src/lib/server/db/http';
import { migrate } from '../../src/lib/server/db/migrate';
import { startClickHouseHttpFixture, type ClickHouseHttpFixture } from '../fixtures/clickhouse-http';
import { makeSpans, runLoad, startRecordingProxy, type RecordingProxy } from './harness/load';
import { MiB, sampleGauge, startSyncscope, type RunningProcess } from './harness/process';
import { report, storeCounts } from './harness/store';

const SPANS = 20_000;
const RSS_CAP = 512 * MiB;
const QUEUE_CAP = 4 * MiB;
const OUTAGE_MS = 6_000;
let fx: ClickHouseHttpFixture;
let db: HttpDb;
let proc: RunningProcess | undefined;
let proxy: RecordingProxy | undefined;

beforeAll(async () => {
	fx = await startClickHouseHttpFixture();
	db = new HttpDb({ url: fx.url, username: 'default', password: '', database: 'default' });
	await migrate(db, loadConfig({}, { clickhouseUrl: fx.url }));
});
afterAll(async () => {
	proc?.kill('SIGKILL');
	await proxy?.close();
	await db?.close();
	await fx?.close();
});

it('refuses with Retry-After while the store is down, stays under its queue cap, and loses nothing acknowledged', { timeout: 240_000 }, async () => {
	const service = `fault-outage-${Date.now()}`;
	proc = await startSyncscope('collector', {
		CLICKHOUSE_URL: fx.url,
		SYNCSCOPE_RETRY_AFTER_SECONDS: '1',
		SYNCSCOPE_MAX_QUEUED_BYTES: String(QUEUE_CAP),
		CLICKHOUSE_REQUEST_TIMEOUT_MS: '5000'
	});
	const readyRss = proc.peakRss();
	proxy = await startRecordingProxy(proc.ready.otlpHttpPort);
	const queued = sampleGauge(`http://127.0.0.1:${proc.ready.opsPort}/metrics`, 'syncscope_collector_queued_bytes');
	const spans = makeSpans(SPANS, service);

	let outage: Promise<void> | undefined;
	let ackedBefore = 0;
	let ackedDuring = 0;
	let readyDuring = 0;
	let acks = 0;
	const result = await runLoad({
		url: proxy.url,
		spans,
		batchSize: 200,
		concurrency: 8,
		deadlineMs: 180_000,
		exporterTimeoutMs: 30_000,
		onAck(n) {
			acks = n;
			if (outage || n < 15) return;
			ackedBefore = n;
			outage = (async () => {
				await fx.pause();
				const t0 = Date.now();
				await new Promise((r) => setTimeout(r, 1_500));
				readyDuring = (await fetch(`http://127.0.0.1:${proc!.ready.opsPort}/readyz`)).status;
				await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - t0)));
				ackedDuring = acks - ackedBefore;
				await fx.resume();
			})();
		}
	});
	await outage;
	queued.stop();
	const peakRss = proc.peakRss();
	proc.kill('SIGTERM');
	const exit = await proc.exited;
	proc = undefined;

	const counts = await storeCounts(db, service, result.ackedKeys);
	const refused = (proxy.stats.byStatus['503'] ?? 0) + (proxy.stats.byStatus['429'] ?? 0);
	report('store-outage', {
		sent: result.sentSpans,
		acked: result.ackedSpans,
		outageMs: OUTAGE_MS,
		ackedBatchesBeforeOutage: ackedBefore,
		ackedBatchesDuringOutage: ackedDuring,
		answered503: proxy.stats.byStatus['503'] ?? 0,
		answered429: proxy.stats.byStatus['429'] ?? 0,
		withRetryAfter: proxy.stats.withRetryAfter,
		readyzDuringOutage: readyDuring,
		maxQueuedBytes: queued.max(),
		queueCap: QUEUE_CAP,
		rssAtReadyMiB: (readyRss / MiB).toFixed(0),
		peakRssMiB: (peakRss / MiB).toFixed(0),
		stored: counts.rows,
		distinct: counts.distinct,
		duplicates: counts.duplicates,
		ackedMissing: counts.ackedMissing,
		http: JSON.stringify(proxy.stats.byStatus)
	});

	expect(outage, 'the outage happened under load').toBeDefined();
	expect(refused).toBeGreaterThan(0);
	expect(proxy.stats.withRetryAfter).toBe(refused);
	expect(readyDuring).toBe(503);
	expect(queued.samples()).toBeGreaterThan(0);
	expect(queued.max()).toBeLessThanOrEqual(QUEUE_CAP);
	// the whole process, too: a queue that grew without bound would take it far past this
	expect(peakRss).toBeLessThan(RSS_CAP);
	expect(result.ackedBatches).toBe(result.batches);
	expect(counts.ackedMissing).toBe(0);
	expect(counts.distinct).toBe(SPANS);
	expect(counts.lineageDistinct).toBe(SPANS);
	expect(exit).toEqual({ code: 0, signal: null });
});
