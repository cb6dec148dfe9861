import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './src/lib/server/config';
import { EmbeddedDb } from './src/lib/server/db/chdb';
import { migrate } from './src/lib/server/db/migrate';
import { decodeTracesProto, TRACE_COLUMNS } from './collector/signals/traces';
import { encodeTraces, sampleTraces } from './tests/helpers/otlp-encode';
const dir = mkdtempSync(join(tmpdir(), 'bench-x-'));
const config = loadConfig({}, { dataDir: dir });
const db = new EmbeddedDb(dir);
await migrate(db, config);
const q = (text: string) => db.exec({ text, params: {} } as never);
await q('CREATE TABLE t_null AS otel_traces ENGINE = Null');
await q(`CREATE TABLE t_noidx (Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)), TraceId String CODEC(ZSTD(1)), SpanId String CODEC(ZSTD(1)), ParentSpanId String CODEC(ZSTD(1)), TraceState String CODEC(ZSTD(1)), SpanName LowCardinality(String) CODEC(ZSTD(1)), SpanKind LowCardinality(String) CODEC(ZSTD(1)), ServiceName LowCardinality(String) CODEC(ZSTD(1)), ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)), ScopeName String CODEC(ZSTD(1)), ScopeVersion String CODEC(ZSTD(1)), SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)), Duration UInt64 CODEC(T64, ZSTD(1)), StatusCode LowCardinality(String) CODEC(ZSTD(1)), StatusMessage String CODEC(ZSTD(1)), Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)), Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1))) ENGINE = MergeTree PARTITION BY toDate(Timestamp) ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)`);
const size = 8192;
const parts: string[] = [];
for (let r = 0; r < size / 512; r++) parts.push(...decodeTracesProto(encodeTraces(sampleTraces(512))).rows);
const body = Buffer.from(parts.join(''));
for (const [table, settings] of [['t_null', {}], ['t_noidx', {}], ['otel_traces', {}], ['otel_traces', { input_format_parallel_parsing: 0 }], ['otel_traces', { max_insert_threads: 2, min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 }]] as const) {
  let rows = 0; const t0 = performance.now();
  const s = await (db as any).open();
  while (performance.now() - t0 < 4000) { await Promise.all([0,1].map(()=>s.insert({table, values: body, format: 'JSONCompactEachRow', columns: TRACE_COLUMNS, settings: { insert_deduplication_token: String(Math.random()), ...settings }}))); rows += 2*size; }
  console.log(table, JSON.stringify(settings), Math.round(rows / ((performance.now() - t0) / 1000)), 'rows/s');
}
await db.close();
