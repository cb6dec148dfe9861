import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './src/lib/server/config';
import { EmbeddedDb } from './src/lib/server/db/chdb';
import { migrate } from './src/lib/server/db/migrate';
import { decodeTracesJson, TRACE_COLUMNS } from './collector/signals/traces';
import { tracesJson, sampleTraces } from './tests/helpers/otlp-encode';
const dir = mkdtempSync(join(tmpdir(), 'bench-x-'));
const db = new EmbeddedDb(dir);
await migrate(db, loadConfig({}, { dataDir: dir }));
for (const name of ['lone \ud800 surrogate', 'ctl \u0001\u001f\u007f', 'nul \u0000 x', 'emoji 😀 é', '\\"quoted\\"']) {
  const req = tracesJson(sampleTraces(1, 'x')) as any;
  req.resourceSpans[0].scopeSpans[0].spans[0].name = name;
  req.resourceSpans[0].scopeSpans[0].spans[0].attributes.push({ key: name, value: { stringValue: name } });
  const rows = decodeTracesJson(req).rows;
  try { await db.insertRaw('otel_traces', Buffer.from(rows.join('')), { format: 'JSONCompactEachRow', columns: TRACE_COLUMNS }); console.log('ok', JSON.stringify(name)); }
  catch (e) { console.log('FAIL', JSON.stringify(name), (e as Error).message.slice(0, 200), (e as Error).constructor.name); }
}
console.log(await db.query({ text: "SELECT SpanName, hex(SpanName) h FROM otel_traces", params: {} } as never));
await db.close();
