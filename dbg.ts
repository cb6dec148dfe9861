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
const body = (n: number) => { const p: string[] = []; for (let r = 0; r < n / 512; r++) p.push(...decodeTracesProto(encodeTraces(sampleTraces(512))).rows); return Buffer.from(p.join('')); };
const b2 = body(2048), b4 = body(4096), b8 = body(8192);
async function run(label: string, b: Buffer, rows: number, conc: number) {
  let n = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() - t0 < 3000) { await db.insertRaw('otel_traces', b, { format: 'JSONCompactEachRow', columns: TRACE_COLUMNS, dedupToken: String(Math.random()) }); n += rows; } }));
  console.log(label, Math.round(n / ((performance.now() - t0) / 1000)));
}
for (let i = 0; i < 2; i++) { await run('1x4096', b4, 4096, 1); await run('2x2048', b2, 2048, 2); await run('2x4096', b4, 4096, 2); await run('1x8192', b8, 8192, 1); }
await db.close();
