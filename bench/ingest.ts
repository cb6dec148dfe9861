/**
 * `npm run bench:ingest`: OTLP/HTTP protobuf ingest, ack after insert, against embedded chDB.
 * The run alternates, BENCH_ROUNDS times:
 * 1. the collector on loopback, loaded by a child process (bench/ingest-load.ts), BENCH_SECONDS;
 * 2. the engine ceiling: the same kind of rows, pre-encoded, inserted straight into chDB
 *    (db.insertRaw) in batches of the size the collector's group commit produced, with the same
 *    number of inserts in flight, BENCH_CEILING_SECONDS.
 * Alternating keeps the two comparable on a machine whose load changes (it is shared).
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
import { decode } from '../collector/ingest';
import { Interpreter } from '../collector/interpret';
import { loadInterpretation } from '../src/lib/server/interpret/versions';
import { activeRules, setActiveRules } from '../src/lib/server/interpret/ruleset';
import { encodeTraces, sampleTraces } from '../tests/helpers/otlp-encode';

const SPANS_PER_REQUEST = 512;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 4);

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'syncscope-bench-'));
const loadBefore = loadavg();
const config = setConfig(loadConfig(process.env, { dataDir: dir, otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1' }));
const db = new EmbeddedDb(dir);
await migrate(db, config);

let peakRss = 0;
let sampling = true;
const sampler = setInterval(() => {
	if (sampling) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const vmHwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
const batchesOf = (text: string) => Number(/syncscope_collector_batches_total\{signal="traces"\} (\d+)/.exec(text)?.[1] ?? 0);
const insertSecondsOf = (text: string) => Number(/syncscope_collector_insert_seconds_sum\{signal="traces"\} (\S+)/.exec(text)?.[1] ?? 0);

// ---- decoder cost on one core (the collector's own CPU per span, outside any I/O) -----------------
// The decode pass as the collector runs it (with the interpretation layer: the shipped rule file,
// catalogue and packs), and the bare wire → rows decoder, alternating so both see the same machine.
await loadInterpretation(db);
const interpreter = new Interpreter();
const sampleBodies = Array.from({ length: 16 }, () => encodeTraces(sampleTraces(SPANS_PER_REQUEST)));
const untaggedBodies = Array.from({ length: 16 }, () => encodeTraces(sampleTraces(SPANS_PER_REQUEST, 'node-red', { untagged: true })));
function decodeRate(run: (b: Buffer) => number, bodies: Buffer[], ms: number): number {
	let n = 0;
	const t0 = performance.now();
	while (performance.now() - t0 < ms) for (const b of bodies) n += run(b);
	return n / ((performance.now() - t0) / 1000);
}
const rates = { bare: [] as number[], interpreted: [] as number[], untagged: [] as number[] };
for (let i = 0; i < 4; i++) {
	rates.bare.push(decodeRate((b) => decodeTracesProto(b).count, sampleBodies, 500));
	rates.interpreted.push(decodeRate((b) => decode('traces', 'proto', b, interpreter).count, sampleBodies, 500));
	rates.untagged.push(decodeRate((b) => decode('traces', 'proto', b, interpreter).count, untaggedBodies, 500));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const decoderRate = median(rates.interpreted);

// ---- rounds ----------------------------------------------------------------------------------------
interface Load {
	spans: number;
	requests: number;
	failures: number;
	elapsedMs: number;
	latenciesMs: number[];
}
const collector = await startCollector({ config, db, log: (m) => console.warn(m) });
// BENCH_LAYER_AB=1: half the rounds run without the interpretation layer (no rule set: rows as sent; the
// sample spans carry their facts, so the engine gets the same rows): the layer's own cost, paired
// with rounds on the same store at the same moment
const LAYER_AB = process.env.BENCH_LAYER_AB === '1';
const rulesInUse = activeRules();
const child = fork(join(here, 'ingest-load.ts'), [], { execArgv: ['--import', 'tsx'] });
const latencies: number[] = [];
const rounds: { layer: boolean; collectorSpansPerSecond: number; collectorCpuMicrosPerSpan: number; ceilingSpansPerSecond: number; meanBatchRows: number; insertsInFlight: number; loadAverage1m: number }[] = [];
let spans = 0, requests = 0, failures = 0, collectorMs = 0, ceilingRows = 0, ceilingMs = 0, batches = 0;
for (let round = 0; round < ROUNDS; round++) {
	// ABBA order, so the store growing during the run weighs on both alike
	const layer = !LAYER_AB || round % 4 === 0 || round % 4 === 3;
	setActiveRules(layer ? rulesInUse : undefined);
	sampling = true;
	const before = batchesOf(collector.metrics());
	const insertSecondsBefore = insertSecondsOf(collector.metrics());
	const cpuBefore = process.cpuUsage();
	const load = await new Promise<Load>((resolve, reject) => {
		child.once('message', (m) => resolve(m as Load));
		child.once('error', reject);
		child.send({ url: `http://127.0.0.1:${collector.httpPort}/v1/traces`, clients: CLIENTS, seconds: SECONDS, spansPerRequest: SPANS_PER_REQUEST, bodies: 64 });
	});
	sampling = false;
	// CPU of this process (decoder, writer and the in-process engine with its merges) per span stored:
	// what a span costs, less sensitive to the rest of a shared machine than spans per second
	const cpu = process.cpuUsage(cpuBefore);
	const cpuMicrosPerSpan = (cpu.user + cpu.system) / load.spans;
	const roundBatches = batchesOf(collector.metrics()) - before;
	// mean number of inserts running during the round: below insertConcurrency means the engine waited for us
	const insertsInFlight = (insertSecondsOf(collector.metrics()) - insertSecondsBefore) / (load.elapsedMs / 1000);
	const meanBatchRows = roundBatches ? Math.round(load.spans / roundBatches) : SPANS_PER_REQUEST;
	spans += load.spans;
	requests += load.requests;
	failures += load.failures;
	collectorMs += load.elapsedMs;
	batches += roundBatches;
	latencies.push(...load.latenciesMs);

	// Same rows (encoded by the collector's own decoder, outside the timing), same batch size and
	// the same number of inserts in flight as the collector's writer.
	const requestsPerBatch = Math.max(1, Math.round(meanBatchRows / SPANS_PER_REQUEST));
	const batchBodies = Array.from({ length: 8 }, () =>
		Buffer.concat(Array.from({ length: requestsPerBatch }, () => Buffer.from(decodeTracesProto(encodeTraces(sampleTraces(SPANS_PER_REQUEST))).body())))
	);
	let rows = 0;
	let next = 0;
	const c0 = performance.now();
	await Promise.all(
		Array.from({ length: config.insertConcurrency }, async () => {
			while (performance.now() - c0 < CEILING_SECONDS * 1000) {
				const body = batchBodies[next++ % batchBodies.length];
				await db.insertRaw('otel_traces', body, { format: 'JSONCompactEachRow', columns: TRACE_COLUMNS, dedupToken: `ceiling-${round}-${next}-${Math.random()}` });
				rows += requestsPerBatch * SPANS_PER_REQUEST;
			}
		})
	);
	const ms = performance.now() - c0;
	ceilingRows += rows;
	ceilingMs += ms;
	rounds.push({
		layer,
		collectorSpansPerSecond: Math.round(load.spans / (load.elapsedMs / 1000)),
		collectorCpuMicrosPerSpan: +cpuMicrosPerSpan.toFixed(1),
		ceilingSpansPerSecond: Math.round(rows / (ms / 1000)),
		meanBatchRows,
		insertsInFlight: +insertsInFlight.toFixed(2),
		loadAverage1m: +loadavg()[0].toFixed(2)
	});
	console.log(`round ${round + 1}:`, rounds[round]);
}
child.send({ done: true });
await collector.shutdown();
clearInterval(sampler);
await db.close();
rmSync(dir, { recursive: true, force: true });

/** Paired rounds with and without the layer: medians and each pair's ratio (with / without). */
function layerAb() {
	const on = rounds.filter((r) => r.layer);
	const off = rounds.filter((r) => !r.layer);
	const pairs = off.map((r, i) => ({ spans: +(on[i].collectorSpansPerSecond / r.collectorSpansPerSecond).toFixed(3), cpu: +(on[i].collectorCpuMicrosPerSpan / r.collectorCpuMicrosPerSpan).toFixed(3) }));
	const side = (xs: typeof rounds) => ({ spansPerSecond: median(xs.map((r) => r.collectorSpansPerSecond)), cpuMicrosPerSpan: median(xs.map((r) => r.collectorCpuMicrosPerSpan)) });
	return { withLayer: side(on), withoutLayer: side(off), pairs, medianRatio: { spans: median(pairs.map((p) => p.spans)), cpu: median(pairs.map((p) => p.cpu)) } };
}

// ---- report ----------------------------------------------------------------------------------------
latencies.sort((a, b) => a - b);
const collectorRate = spans / (collectorMs / 1000);
const ceilingRate = ceilingRows / (ceilingMs / 1000);
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
	workload: { transport: 'OTLP/HTTP protobuf', spansPerRequest: SPANS_PER_REQUEST, attributesPerSpan: 10, clients: CLIENTS, rounds: ROUNDS, secondsPerRound: SECONDS, ack: 'after insert' },
	config: { batchLingerMs: config.batchLingerMs, batchMaxRows: config.batchMaxRows, insertConcurrency: config.insertConcurrency },
	collector: {
		spansPerSecond: Math.round(collectorRate),
		cpuMicrosPerSpan: { min: Math.min(...rounds.map((r) => r.collectorCpuMicrosPerSpan)), median: median(rounds.map((r) => r.collectorCpuMicrosPerSpan)) },
		requests,
		failures,
		ackLatencyMs: { p50: +pct(latencies, 50).toFixed(1), p99: +pct(latencies, 99).toFixed(1), max: +latencies[latencies.length - 1].toFixed(1) },
		batches,
		meanBatchRows: batches ? Math.round(spans / batches) : 0,
		peakRssBytes: peakRss
	},
	ceiling: { spansPerSecond: Math.round(ceilingRate), concurrentInserts: config.insertConcurrency, secondsPerRound: CEILING_SECONDS },
	ratio: +(collectorRate / ceilingRate).toFixed(3),
	decoderSpansPerSecondOneCore: Math.round(decoderRate),
	decoderWithoutInterpretationSpansPerSecond: Math.round(median(rates.bare)),
	decoderUntaggedSpansPerSecond: Math.round(median(rates.untagged)),
	rounds,
	layerAb: LAYER_AB ? layerAb() : undefined,
	processPeakRssBytes: vmHwm(),
	goals: { spansPerSecond: 80_000, ratio: 0.65, rssBytes: 1024 ** 3 }
};
const goals = {
	throughput: result.collector.spansPerSecond >= 80_000,
	ratio: result.ratio >= 0.65,
	rss: peakRss <= 1024 ** 3
};
mkdirSync(join(here, 'results'), { recursive: true });
const stamp = date.slice(0, 16).replace(/:/g, '');
writeFileSync(join(here, 'results', `ingest-${stamp}.json`), JSON.stringify({ ...result, goalsMet: goals }, null, 2) + '\n');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const yes = (b: boolean) => (b ? 'met' : 'not met');
const md = `# Ingest benchmark — ${date}

Machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${mb(result.machine.memoryBytes)} RAM, Node ${result.machine.node} (${result.machine.platform}). Shared machine: 1-min load average ${result.machine.loadAverage1mBefore} before, ${result.machine.loadAverage1mAfter} after.

Workload: ${result.workload.transport}, ${SPANS_PER_REQUEST} spans/request, 10 attributes/span, ${CLIENTS} concurrent clients (separate process), ack after insert; embedded chDB; batchLingerMs ${config.batchLingerMs}, insertConcurrency ${config.insertConcurrency}. ${ROUNDS} rounds of ${SECONDS} s collector / ${CEILING_SECONDS} s engine ceiling, alternating.

| figure | value | goal |
| --- | --- | --- |
| collector throughput | ${result.collector.spansPerSecond.toLocaleString('en')} spans/s | ≥ 80,000 (${yes(goals.throughput)}) |
| engine ceiling (same rows straight into chDB, same batch size, ${config.insertConcurrency} in flight) | ${result.ceiling.spansPerSecond.toLocaleString('en')} spans/s | |
| collector / ceiling | ${result.ratio} | ≥ 0.65 (${yes(goals.ratio)}) |
| collector process CPU per span stored (decode, writer, engine with merges), min / median of rounds | ${result.collector.cpuMicrosPerSpan.min} / ${result.collector.cpuMicrosPerSpan.median} µs | |
| ack latency p50 / p99 / max | ${result.collector.ackLatencyMs.p50} / ${result.collector.ackLatencyMs.p99} / ${result.collector.ackLatencyMs.max} ms | |
| peak RSS of the collector process during the collector rounds | ${mb(peakRss)} | ≤ 1 GiB (${yes(goals.rss)}) |
| inserts / mean rows per insert | ${batches} / ${result.collector.meanBatchRows} | |
| requests / failures | ${requests} / ${failures} | |
| decode pass (protobuf → row bytes, with the interpretation layer), one core | ${result.decoderSpansPerSecondOneCore.toLocaleString('en')} spans/s | |
| … the same spans without the interpretation layer (wire → rows only) | ${result.decoderWithoutInterpretationSpansPerSecond.toLocaleString('en')} spans/s | |
| … untagged HTTP spans (no integration.*), facts derived by the layer | ${result.decoderUntaggedSpansPerSecond.toLocaleString('en')} spans/s | |

${result.layerAb ? `Interpretation layer A/B (BENCH_LAYER_AB=1: rounds alternate with and without the rule set, same store): with ${result.layerAb.withLayer.spansPerSecond.toLocaleString('en')} spans/s, ${result.layerAb.withLayer.cpuMicrosPerSpan} µs CPU/span; without ${result.layerAb.withoutLayer.spansPerSecond.toLocaleString('en')} spans/s, ${result.layerAb.withoutLayer.cpuMicrosPerSpan} µs CPU/span; pairs with/without (spans/s, CPU/span): ${result.layerAb.pairs.map((p) => `${p.spans} / ${p.cpu}`).join(', ')}; median ${result.layerAb.medianRatio.spans} / ${result.layerAb.medianRatio.cpu}.

` : ''}Rounds (collector / ceiling spans/s, mean rows per insert, mean inserts in flight during the collector round, load average):
${rounds.map((r, i) => `- ${i + 1}${LAYER_AB ? (r.layer ? ' (layer)' : ' (no layer)') : ''}: ${r.collectorSpansPerSecond} / ${r.ceilingSpansPerSecond}, ${r.collectorCpuMicrosPerSpan} µs CPU/span, ${r.meanBatchRows} rows, ${r.insertsInFlight} in flight, load ${r.loadAverage1m}`).join('\n')}
`;
writeFileSync(join(here, 'results', `ingest-${stamp}.md`), md);
console.log(md);
process.exit(0);
