/**
 * `npm run bench:ingest`: OTLP/HTTP protobuf ingest, ack after insert, against embedded chDB.
 * 1. engine ceiling: the same kind of rows, pre-encoded, inserted straight into chDB (db.insertRaw),
 *    in batches of the size the collector's group commit produces, with the same concurrency;
 * 2. the collector on loopback, loaded by a child process (bench/ingest-load.ts).
 * Writes bench/results/ingest-<date>.json and .md with the machine and the figures.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, setConfig } from '../src/lib/server/config';
import { EmbeddedDb } from '../src/lib/server/db/chdb';
import { migrate } from '../src/lib/server/db/migrate';
import { startCollector } from '../collector/index';
import { decodeTracesProto, TRACE_COLUMNS } from '../collector/signals/traces';
import { encodeTraces, sampleTraces } from '../tests/helpers/otlp-encode';

const SPANS_PER_REQUEST = 512;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'syncscope-bench-'));
const loadBefore = loadavg();
const config = setConfig(loadConfig(process.env, { dataDir: dir, otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1' }));
const db = new EmbeddedDb(dir);
await migrate(db, config);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

function pct(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const vmHwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;

// ---- collector -----------------------------------------------------------------------------------
const collector = await startCollector({ config, db, log: (m) => console.warn(m) });
const child = fork(join(here, 'ingest-load.ts'), [], { execArgv: ['--import', 'tsx'] });
const load = await new Promise<{ spans: number; requests: number; failures: number; elapsedMs: number; latenciesMs: number[] }>((resolve, reject) => {
	child.once('message', (m) => resolve(m as never));
	child.once('error', reject);
	child.send({ url: `http://127.0.0.1:${collector.httpPort}/v1/traces`, clients: CLIENTS, seconds: SECONDS, spansPerRequest: SPANS_PER_REQUEST, bodies: 64 });
});
const metricsText = collector.metrics();
await collector.shutdown();
const collectorPeakRss = peakRss;
const batches = Number(/syncscope_collector_batches_total\{signal="traces"\} (\d+)/.exec(metricsText)?.[1] ?? 0);
const meanBatchRows = batches ? Math.round(load.spans / batches) : SPANS_PER_REQUEST;
const latencies = load.latenciesMs.sort((a, b) => a - b);
const collectorRate = load.spans / (load.elapsedMs / 1000);

// ---- engine ceiling ------------------------------------------------------------------------------
// Same rows (decoded by the collector's own decoder, outside the timing), same batch size and
// the same number of inserts in flight as the collector's writer.
const rowsPerBatch = Math.max(SPANS_PER_REQUEST, meanBatchRows);
const requestsPerBatch = Math.max(1, Math.round(rowsPerBatch / SPANS_PER_REQUEST));
const batchBodies: Buffer[] = [];
for (let b = 0; b < 16; b++) {
	const parts: Buffer[] = [];
	for (let r = 0; r < requestsPerBatch; r++) parts.push(Buffer.from(decodeTracesProto(encodeTraces(sampleTraces(SPANS_PER_REQUEST))).body()));
	batchBodies.push(Buffer.concat(parts));
}
let ceilingRows = 0;
let next = 0;
const c0 = performance.now();
const cDeadline = c0 + CEILING_SECONDS * 1000;
await Promise.all(
	Array.from({ length: config.insertConcurrency }, async () => {
		while (performance.now() < cDeadline) {
			const body = batchBodies[next++ % batchBodies.length];
			await db.insertRaw('otel_traces', body, { format: 'JSONCompactEachRow', columns: TRACE_COLUMNS, dedupToken: `ceiling-${next}-${Math.random()}` });
			ceilingRows += requestsPerBatch * SPANS_PER_REQUEST;
		}
	})
);
const ceilingRate = ceilingRows / ((performance.now() - c0) / 1000);
clearInterval(sampler);
await db.close();
rmSync(dir, { recursive: true, force: true });

// ---- report --------------------------------------------------------------------------------------
const date = new Date().toISOString();
const result = {
	date,
	machine: {
		cpus: cpus().length,
		cpuModel: cpus()[0]?.model,
		memoryBytes: totalmem(),
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
		// the machine is shared: the load average says how much CPU other work was taking
		loadAverage1mBefore: +loadBefore[0].toFixed(2),
		loadAverage1mAfter: +loadavg()[0].toFixed(2)
	},
	workload: { transport: 'OTLP/HTTP protobuf', spansPerRequest: SPANS_PER_REQUEST, attributesPerSpan: 10, clients: CLIENTS, seconds: SECONDS, ack: 'after insert' },
	config: { batchLingerMs: config.batchLingerMs, batchMaxRows: config.batchMaxRows, insertConcurrency: config.insertConcurrency },
	collector: {
		spansPerSecond: Math.round(collectorRate),
		requests: load.requests,
		failures: load.failures,
		ackLatencyMs: { p50: +pct(latencies, 50).toFixed(1), p99: +pct(latencies, 99).toFixed(1), max: +latencies[latencies.length - 1].toFixed(1) },
		batches,
		meanBatchRows,
		peakRssBytes: collectorPeakRss
	},
	ceiling: { spansPerSecond: Math.round(ceilingRate), rowsPerInsert: requestsPerBatch * SPANS_PER_REQUEST, concurrentInserts: config.insertConcurrency, seconds: CEILING_SECONDS },
	ratio: +(collectorRate / ceilingRate).toFixed(3),
	processPeakRssBytes: vmHwm(),
	goals: { spansPerSecond: 80_000, ratio: 0.65, rssBytes: 1024 ** 3 }
};
const met = result.collector.spansPerSecond >= 80_000 && result.ratio >= 0.65 && collectorPeakRss <= 1024 ** 3;
mkdirSync(join(here, 'results'), { recursive: true });
const stamp = date.slice(0, 16).replace(/:/g, '');
writeFileSync(join(here, 'results', `ingest-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const md = `# Ingest benchmark — ${date}

Machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${mb(result.machine.memoryBytes)} RAM, Node ${result.machine.node} (${result.machine.platform}); shared machine, 1-min load average ${result.machine.loadAverage1mBefore} before / ${result.machine.loadAverage1mAfter} after

Workload: ${result.workload.transport}, ${SPANS_PER_REQUEST} spans/request, 10 attributes/span, ${CLIENTS} concurrent clients (separate process), ${SECONDS} s, ack after insert; embedded chDB; batchLingerMs ${config.batchLingerMs}, insertConcurrency ${config.insertConcurrency}.

| figure | value | goal |
| --- | --- | --- |
| collector throughput | ${result.collector.spansPerSecond.toLocaleString('en')} spans/s | ≥ 80,000 |
| engine ceiling (same rows straight into chDB, ${result.ceiling.rowsPerInsert} rows/insert, ${result.ceiling.concurrentInserts} in flight) | ${result.ceiling.spansPerSecond.toLocaleString('en')} spans/s | |
| collector / ceiling | ${result.ratio} | ≥ 0.65 |
| ack latency p50 / p99 / max | ${result.collector.ackLatencyMs.p50} / ${result.collector.ackLatencyMs.p99} / ${result.collector.ackLatencyMs.max} ms | |
| peak RSS during the collector run | ${mb(collectorPeakRss)} | ≤ 1 GiB |
| inserts / mean rows per insert | ${batches} / ${meanBatchRows} | |
| requests / failures | ${load.requests} / ${load.failures} | |

Goals ${met ? 'met' : 'NOT met'}.
`;
writeFileSync(join(here, 'results', `ingest-${stamp}.md`), md);
console.log(md);
process.exit(0);
