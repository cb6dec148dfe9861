import { loadConfig, setConfig } from '../src/lib/server/config';
import { setDb, sql } from '../src/lib/server/db';
import { EmbeddedDb } from '../src/lib/server/db/chdb';
import { migrate } from '../src/lib/server/db/migrate';
import { parseCatalogue } from '../src/lib/server/flows/catalogue';
import { milestoneKeysOf } from '../src/lib/server/sla/aggregates';
import { fold, milestonesReady, startFolding } from '../src/lib/server/sla/fold';
import { parseRange } from '../src/lib/server/sla/range';
import { txFiguresCompared, atRiskRows } from '../src/lib/server/sla/kpis';
import { deadLetters, milestonesFigures } from '../src/lib/server/sla/milestones';
import { milestonesOf } from '../src/lib/server/sla/overview';
import { stepTable } from '../src/lib/server/sla/breakdowns';
const FLOWS = 40, STEPS = 5;
const flows = parseCatalogue(`flows:\n${Array.from({ length: FLOWS }, (_, i) => `  - id: flow-${i}
    name: Flow ${i}
    businessOwner: Owner ${i}
    technicalOwner: Integration team
    steps: [${Array.from({ length: STEPS }, (_, s) => `{ id: s${s}, name: Step ${s}, system: sys${s}${s > 0 ? ', within: 10m' : ''} }`).join(', ')}]
    objectives: { successRate: 0.99, e2eP95: 2s, e2eP99: 5s, deadLettersPerHour: 5, eventDelayP95: 1m, milestones: [{ name: ack, from: s1, to: s3, target: 1h }] }`).join('\n')}`).flows;
const dir = process.env.BENCH_DIR!;
const config = setConfig(loadConfig(process.env, { dataDir: dir }));
const db = new EmbeddedDb(dir); setDb(db); await migrate(db, config);
milestonesReady(db, milestoneKeysOf(flows));
await fold(db);
const stop = startFolding(db, () => {}, () => {}, () => flows);
const INGEST = Number(process.env.INGEST_RATE ?? 20000);
let ingesting = true; let nextTx = 5_000_000;
const ing = (async () => { while (ingesting && INGEST > 0) { const t = performance.now(); const txs = INGEST / 2 / STEPS;
  await db.exec(sql`INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, SpanAttributes, Duration, StatusCode)
SELECT now64(3) + step*0.18, lower(hex(sipHash128(tx))), lower(hex(sipHash64(number))), if(step=0,'',lower(hex(sipHash64(number-step)))), concat('step ', toString(step)), 'Internal', concat('svc-', toString(step)),
 map('integration.flow', concat('flow-', toString(tx % 40)), 'integration.correlation_id', concat('TX-', toString(tx)), 'integration.step', concat('s', toString(step)), 'integration.outcome', if(step=4, multiIf(h%100<2,'failed',h%100<3,'duplicate','success'),''), 'integration.amount', toString(h%5000)),
 toUInt64((20+h%400)*1000000), if(step=4 AND h%100<2,'Error','Ok')
FROM (SELECT number, intDiv(number,5) AS tx, number%5 AS step, sipHash64(intDiv(number,5)) AS h FROM numbers(${{UInt64: nextTx*5}}, ${{UInt64: txs*5}}))`);
  nextTx += txs; const w = 500 - (performance.now() - t); if (w > 0) await new Promise((r) => setTimeout(r, w)); } })();
await new Promise((r) => setTimeout(r, 5000));
const o = parseRange(new URLSearchParams('range=24h')); const f7 = parseRange(new URLSearchParams('range=7d'));
const ids = flows.map((f) => f.id);
const comps: Record<string, () => Promise<unknown>> = {
  'ov.tx': () => txFiguresCompared(flows, { from: o.from, to: o.to, now: new Date() }, o.previous, o.bucketSeconds, db, 'counts'),
  'ov.dl': () => deadLetters(ids, { from: o.from, to: o.to, now: new Date() }, 0, db, o.previous.from),
  'ov.ms': () => milestonesOf(flows, { from: o.from, to: o.to, now: new Date() }, db),
  'fp.tx': () => txFiguresCompared([flows[7]], { from: f7.from, to: f7.to, now: new Date() }, f7.previous, f7.bucketSeconds, db, 'full'),
  'fp.risk': () => atRiskRows([flows[7]], { from: f7.from, to: f7.to, now: new Date() }, 10, db),
  'fp.dl': () => deadLetters([flows[7].id], { from: f7.from, to: f7.to, now: new Date() }, f7.bucketSeconds, db, f7.previous.from),
  'fp.ms': () => milestonesFigures([{ flow: 'flow-7', from: 's1', to: 's3', targetMs: 3600000 }], { from: f7.from, to: f7.to, now: new Date() }, f7.bucketSeconds, db),
  'fp.steps': () => stepTable(flows[7], { from: f7.from, to: f7.to, now: new Date() }, db),
  'select1': () => db.query(sql`SELECT 1`),
};
const res: Record<string, number[]> = {};
for (let i = 0; i < 12; i++) for (const [k, fn] of Object.entries(comps)) { const t = performance.now(); await fn(); (res[k] ??= []).push(performance.now() - t); }
for (const [k, xs] of Object.entries(res)) { xs.sort((a, b) => a - b); console.log(k.padEnd(10), 'p50', xs[6].toFixed(0), 'p90', xs[10].toFixed(0), 'max', xs[11].toFixed(0)); }
ingesting = false; await ing; await stop(); await db.close(); process.exit(0);
