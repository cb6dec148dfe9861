/**
 * `npm run bench:lineage`: lineage lookups by correlation ID on generated telemetry.
 * BENCH_SPANS spans (default 10M) of order-to-cash traffic over the last 7 days go straight into
 * chDB (INSERT … SELECT FROM numbers(), in chunks; the business-key and lineage views fill as they
 * would from the collector). Once the background merges that bulk load starts have settled (as in a
 * console that has run a while), random orders are looked up through the lineage module (API path
 * and page path) and, interleaved in the same run, by the baseline of filtering
 * SpanAttributes['integration.correlation_id'] on otel_traces directly.
 * Writes bench/results/lineage-<date>.json and .md with the machine, the load average and the figures.
 * BENCH_DIR=<dir> keeps the data directory; BENCH_REUSE=1 (BENCH_DIR already holds a generated
 * dataset) skips generation, for iterating on queries. Migrations still run, so a newer migration
 * backfills the kept dataset.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig, setConfig } from '../src/lib/server/config';
import { EmbeddedDb } from '../src/lib/server/db/chdb';
import { raw, setDb, sql } from '../src/lib/server/db';
import { migrate } from '../src/lib/server/db/migrate';
import { findLineage } from '../src/lib/server/lineage/queries';

const SPANS = Number(process.env.BENCH_SPANS ?? 10_000_000);
const SPANS_PER_ORDER = 8;
const CHUNK = 1_000_000;
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 200);
const BASELINE_LOOKUPS = Number(process.env.BENCH_BASELINE_LOOKUPS ?? 40);
const DAYS = 7;

const orders = Math.ceil(SPANS / SPANS_PER_ORDER);
const STEPS = ['crm.submit-order', 'mw.validate-order', 'erp.create-sales-order', 'wms.allocate', 'supplier.send-po', 'erp.post-order', 'crm.update-status', 'supplier.po-ack'];
const SERVICES = ['crm-connector', 'order-orchestrator', 'erp-adapter', 'wms-adapter', 'edi-gateway', 'erp-adapter', 'crm-connector', 'edi-gateway'];
const SOURCES = ['crm', 'middleware', 'middleware', 'erp', 'middleware', 'middleware', 'middleware', 'supplier:acme'];
const TARGETS = ['middleware', 'middleware', 'erp', 'wms', 'supplier:acme', 'erp', 'crm', 'middleware'];
const arr = (a: string[]) => `[${a.map((s) => `'${s}'`).join(', ')}]`;

/**
 * Span n belongs to order intDiv(n, 8), step n % 8. Orders are spread evenly over the last 7 days;
 * the supplier acknowledgement (step 7) comes in its own trace 1–4 hours later. ~2 % of steps fail;
 * every span carries the contract attributes plus a few ordinary ones (http.*, thread).
 */
function insertChunk(from: number, count: number) {
	return raw(`
INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
  ScopeName, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT
  now64(9) - toIntervalMillisecond(intDiv(number, ${SPANS_PER_ORDER}) * ${Math.floor((DAYS * 86_400_000 - 6 * 3_600_000) / orders)} )
    + toIntervalMillisecond(if(step = 7, 3600000 + cityHash64(number) % 10800000, step * 700)) AS Timestamp,
  lower(hex(MD5(concat(toString(intDiv(number, ${SPANS_PER_ORDER})), if(step = 7, '-ack', ''))))) AS TraceId,
  substring(lower(hex(MD5(toString(number)))), 1, 16) AS SpanId,
  if(step IN (0, 7), '', substring(lower(hex(MD5(toString(number - step)))), 1, 16)) AS ParentSpanId,
  concat('step ', ${arr(STEPS)}[step + 1]) AS SpanName,
  if(step = 0, 'Server', 'Client') AS SpanKind,
  ${arr(SERVICES)}[step + 1] AS ServiceName,
  map('service.name', ${arr(SERVICES)}[step + 1], 'deployment.environment', 'prod', 'host.name', concat('node-', toString(number % 12))) AS ResourceAttributes,
  'bench' AS ScopeName,
  map('integration.correlation_id', cid, 'integration.flow', 'order-to-cash', 'integration.step', ${arr(STEPS)}[step + 1],
      'integration.source', ${arr(SOURCES)}[step + 1], 'integration.target', ${arr(TARGETS)}[step + 1],
      'integration.outcome', if(failed, 'failed', 'success'), 'integration.entity.type', 'sales_order', 'integration.entity.id', cid,
      'integration.message_id', concat('msg-', toString(number)), 'http.request.method', 'POST',
      'http.response.status_code', if(failed, '500', '200'), 'thread.name', concat('worker-', toString(number % 32))) AS SpanAttributes,
  (20 + cityHash64(number, 1) % 2000) * 1000000 AS Duration,
  if(failed, 'Error', 'Ok') AS StatusCode,
  if(failed, 'upstream returned 500', '') AS StatusMessage
FROM (
  SELECT number, number % ${SPANS_PER_ORDER} AS step, concat('SO-', toString(1000000 + intDiv(number, ${SPANS_PER_ORDER}))) AS cid,
         cityHash64(number, 2) % 100 < 2 AS failed
  FROM numbers(${from}, ${count})
)
SETTINGS max_insert_threads = 2`);
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function stats(ms: number[]) {
	const s = [...ms].sort((a, b) => a - b);
	return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const round = (v: number) => Math.round(v * 10) / 10;
const randomOrder = () => `SO-${1_000_000 + Math.floor(Math.random() * orders)}`;

async function main() {
	const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'syncscope-bench-lineage-'));
	const config = setConfig(loadConfig({}, { dataDir: dir, ttlTracesDays: 30, ttlKeysDays: 90 }));
	const db = new EmbeddedDb(dir);
	setDb(db);
	try {
		const m0 = performance.now();
		const applied = await migrate(db, config);
		const migrateSeconds = (performance.now() - m0) / 1000;
		if (applied.length) console.log(`migrations applied in ${migrateSeconds.toFixed(1)} s: ${applied.join(', ')}`);
		const reuse = process.env.BENCH_REUSE === '1' && (await db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_traces`))[0].n > 0;
		if (!reuse) console.log(`generating ${SPANS.toLocaleString()} spans (${orders.toLocaleString()} orders) …`);
		const t0 = performance.now();
		for (let from = 0; from < SPANS && !reuse; from += CHUNK) {
			await db.exec(insertChunk(from, Math.min(CHUNK, SPANS - from)));
			process.stdout.write(`  ${Math.min(from + CHUNK, SPANS).toLocaleString()} spans\r`);
		}
		const insertSeconds = (performance.now() - t0) / 1000;
		const [counts] = await db.query<{ spans: number; keys: number; traces: number }>(sql`
			SELECT (SELECT count() FROM otel_traces) AS spans, (SELECT count() FROM business_key_index) AS keys,
			       (SELECT count() FROM otel_traces_trace_id_ts) AS traces`);
		console.log(`\ninserted in ${insertSeconds.toFixed(1)} s: ${JSON.stringify(counts)}`);
		// as in a console that has been running a while: let the background merges a bulk load starts
		// finish (a lookup reads a granule in every part whose key range covers the key)
		const s0 = performance.now();
		for (let idle = 0; idle < 3 && performance.now() - s0 < 180_000; ) {
			await new Promise((r) => setTimeout(r, 2000));
			const [m] = await db.query<{ n: number }>(sql`SELECT count() AS n FROM system.merges`);
			idle = m.n === 0 ? idle + 1 : 0;
		}
		const settleSeconds = (performance.now() - s0) / 1000;
		console.log(`merges settled in ${settleSeconds.toFixed(0)} s`);
		const parts = Object.fromEntries(
			(
				await db.query<{ table: string; parts: number }>(sql`
					SELECT table, count() AS parts FROM system.parts
					WHERE database = currentDatabase() AND active AND table IN ('business_key_index', 'lineage_spans', 'otel_traces')
					GROUP BY table ORDER BY table`)
			).map((r) => [r.table, r.parts])
		);

		// warm-up (first queries load marks and indexes)
		for (let i = 0; i < 5; i++) await findLineage(randomOrder());

		// the API path (GET /api/v1/lineage: no span attributes/resources/events), the page path (full
		// detail) and, every few lookups, the baseline, interleaved so all three see the same machine load
		const baselineLookup = (key: string) =>
			db.query(sql`
				SELECT TraceId, SpanId, ParentSpanId, ServiceName, SpanName, Timestamp, Duration, StatusCode, SpanAttributes
				FROM otel_traces WHERE SpanAttributes['integration.correlation_id'] = ${{ String: key }}
				ORDER BY Timestamp LIMIT 1 BY TraceId, SpanId`);
		await baselineLookup(randomOrder());
		const indexed: number[] = [];
		const detailed: number[] = [];
		const baseline: number[] = [];
		const loadBefore = loadavg();
		let spansSeen = 0;
		for (let i = 0; i < LOOKUPS; i++) {
			const key = randomOrder();
			let t = performance.now();
			const l = await findLineage(key, { detail: false });
			indexed.push(performance.now() - t);
			t = performance.now();
			await findLineage(key);
			detailed.push(performance.now() - t);
			if (l.spans.length !== SPANS_PER_ORDER && Number(key.slice(3)) - 1_000_000 < orders - 1) {
				throw new Error(`${key}: expected ${SPANS_PER_ORDER} spans, got ${l.spans.length}`);
			}
			spansSeen += l.spans.length;
			if (i % Math.max(1, Math.floor(LOOKUPS / BASELINE_LOOKUPS)) === 0 && baseline.length < BASELINE_LOOKUPS) {
				const other = randomOrder();
				t = performance.now();
				const rows = await baselineLookup(other);
				baseline.push(performance.now() - t);
				if (rows.length === 0) throw new Error(`baseline found nothing for ${other}`);
			}
		}
		const loadAfter = loadavg();

		const a = stats(indexed);
		const d = stats(detailed);
		const b = stats(baseline);
		const chdbVersion = JSON.parse(readFileSync(new URL('../node_modules/chdb/package.json', import.meta.url), 'utf8')).version;
		const result = {
			benchmark: 'lineage',
			date: new Date().toISOString(),
			machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30), node: process.version, chdb: chdbVersion, note: 'cores shared with other work' },
			loadAverage: { before: loadBefore.map(round), after: loadAfter.map(round) },
			data: { spans: counts.spans, orders, businessKeyRows: counts.keys, traces: counts.traces, days: DAYS, partsAtLookups: parts, mergeSettleSeconds: round(settleSeconds), reused: reuse, insertSeconds: round(insertSeconds), migrateSeconds: round(migrateSeconds), migrationsApplied: applied },
			lineage: { lookups: a.n, p50Ms: round(a.p50), p95Ms: round(a.p95), maxMs: round(a.max), meanMs: round(a.mean), spansPerLookup: spansSeen / a.n },
			lineageWithDetail: { lookups: d.n, p50Ms: round(d.p50), p95Ms: round(d.p95), maxMs: round(d.max), meanMs: round(d.mean) },
			baseline: { lookups: b.n, p50Ms: round(b.p50), p95Ms: round(b.p95), maxMs: round(b.max), meanMs: round(b.mean) },
			speedupP95: round(b.p95 / a.p95),
			goal: { p95Ms: 50, speedup: 3, met: a.p95 <= 50 && b.p95 / a.p95 >= 3 }
		};
		const stamp = result.date.slice(0, 16).replace(/:/g, '');
		mkdirSync('bench/results', { recursive: true });
		writeFileSync(`bench/results/lineage-${stamp}.json`, JSON.stringify(result, null, 2) + '\n');
		writeFileSync(
			`bench/results/lineage-${stamp}.md`,
			`# Lineage lookup benchmark, ${result.date}

Machine: ${result.machine.cpu}, ${result.machine.cores} cores (shared), ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, chDB ${result.machine.chdb}.

Load average (1/5/15 min) before the lookups: ${result.loadAverage.before.join(' / ')}, after: ${result.loadAverage.after.join(' / ')} (2 cores, shared).

Data: ${result.data.spans.toLocaleString()} spans of ${orders.toLocaleString()} orders over ${DAYS} days (${result.data.traces.toLocaleString()} traces, ${result.data.businessKeyRows.toLocaleString()} business-key rows; active parts at the lookups, after ${round(settleSeconds)} s for background merges to settle: ${Object.entries(parts).map(([t, n]) => `${t} ${n}`).join(', ')}), ${reuse ? `generated by an earlier run into BENCH_DIR (BENCH_REUSE=1)${applied.length ? `; migrations applied to it in ${result.data.migrateSeconds} s: ${applied.join(', ')}` : ''}` : `inserted in ${result.data.insertSeconds} s`}.

| lookup by correlation ID | n | p50 ms | p95 ms | max ms |
| --- | ---: | ---: | ---: | ---: |
| lineage module, API path (business-key index, then lineage_spans beside logs) | ${a.n} | ${result.lineage.p50Ms} | ${result.lineage.p95Ms} | ${result.lineage.maxMs} |
| lineage module, page path (plus span attributes, resources, events, links from otel_traces) | ${d.n} | ${result.lineageWithDetail.p50Ms} | ${result.lineageWithDetail.p95Ms} | ${result.lineageWithDetail.maxMs} |
| baseline: \`SpanAttributes['integration.correlation_id'] = …\` on otel_traces (interleaved) | ${b.n} | ${result.baseline.p50Ms} | ${result.baseline.p95Ms} | ${result.baseline.maxMs} |

p95 speed-up (API path vs baseline): ${result.speedupP95}×. Goal (p95 ≤ 50 ms and ≥ 3× the baseline): ${result.goal.met ? 'met' : 'NOT met'}.
`
		);
		console.log(JSON.stringify(result, null, 2));
	} finally {
		await db.close();
		if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
	}
}

await main();
