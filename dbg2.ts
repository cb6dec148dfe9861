import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './src/lib/server/config';
import { EmbeddedDb } from './src/lib/server/db/chdb';
import { migrate } from './src/lib/server/db/migrate';
import { decodeTracesProto, TRACE_COLUMNS } from './collector/signals/traces';
import { encodeTraces, sampleTraces } from './tests/helpers/otlp-encode';
const dir = mkdtempSync(join(tmpdir(), 'bench-x-'));
const db = new EmbeddedDb(dir);
await migrate(db, loadConfig({}, { dataDir: dir }));
const size = 4096;
const body = Buffer.concat(Array.from({ length: size / 512 }, () => Buffer.from(decodeTracesProto(encodeTraces(sampleTraces(512))).body())));
const s = await (db as any).open();
const variants: [string, Record<string, unknown>, number][] = [['default c1', {}, 1], ['noparallel c1', { input_format_parallel_parsing: 0 }, 1], ['parallel_view c1', { parallel_view_processing: 1 }, 1], ['default c2', {}, 2], ['noparallel c2', { input_format_parallel_parsing: 0 }, 2]];
const tot: Record<string, number[]> = {};
for (let round = 0; round < 4; round++) for (const [label, settings, conc] of variants) {
  let rows = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() - t0 < 2500) { await s.insert({ table: 'otel_traces', values: body, format: 'JSONCompactEachRow', columns: TRACE_COLUMNS, settings: { insert_deduplication_token: String(Math.random()), ...settings } }); rows += size; } }));
  (tot[label] ??= []).push(Math.round(rows / ((performance.now() - t0) / 1000)));
}
for (const [k, v] of Object.entries(tot)) console.log(k.padEnd(18), v.join(' '), 'median', v.sort((a, b) => a - b)[v.length >> 1]);
await db.close();
