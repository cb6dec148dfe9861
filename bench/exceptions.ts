/**
 * `npm run bench:exceptions`: the exceptions queue on embedded chDB. Loads BENCH_EXCEPTIONS failed
 * messages (a failed span and a dead letter each, with re-sent duplicates) among BENCH_SUCCESS
 * (default 10 per failure) successful spans of the same steps, a share of them resolved, then times
 * the queue as the page opens it (what needs a person, by value at risk; page, total and signatures),
 * its next page (cursor), the old newest-100 view, one exception, and bulk dry runs.
 * Reports p50 / p95 / max. BENCH_DATA_DIR keeps (and reuses) the loaded data directory.
 * Writes bench/results/exceptions-<date>-<size>.json and .md with the machine and the figures.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig, setConfig } from '../src/lib/server/config';
import { EmbeddedDb } from '../src/lib/server/db/chdb';
import { setDb } from '../src/lib/server/db';
import { migrate } from '../src/lib/server/db/migrate';
import { listExceptions, QUEUE_DEFAULTS } from '../src/lib/server/exceptions/list';
import { getExceptionRow } from '../src/lib/server/exceptions/queries';
import { dryRun } from '../src/lib/server/exceptions/bulk';
import { exceptionId } from '../src/lib/server/exceptions/ids';

const EXCEPTIONS = Number(process.env.BENCH_EXCEPTIONS ?? 20_000);
const SUCCESS = Number(process.env.BENCH_SUCCESS ?? EXCEPTIONS * 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

const here = fileURLToPath(new URL('.', import.meta.url));
const keep = process.env.BENCH_DATA_DIR;
const reuse = !!keep && existsSync(join(keep, 'loaded'));
const dir = keep ?? mkdtempSync(join(tmpdir(), 'syncscope-bench-exc-'));
mkdirSync(dir, { recursive: true });
const config = setConfig(loadConfig({}, { dataDir: dir, runbooksDir: join(here, '../runbooks') }));
const db = new EmbeddedDb(dir);
setDb(db);
await migrate(db, config);

const steps = ['erp.create-sales-order', 'wms.allocate', 'erp.post-order', 'crm.update-status'];
const classes = ['validation', 'transport', 'business', 'auth'];
const hex = (n: number) => randomBytes(n).toString('hex');
const now = Date.now();
const ns = (ms: number) => `${BigInt(Math.floor(ms)) * 1_000_000n}`;

function spanRow(i: number, outcome: string, at: number) {
	return JSON.stringify({
		Timestamp: ns(at), TraceId: hex(16), SpanId: hex(8), SpanName: steps[i % 4], ServiceName: 'mule-o2c',
		StatusCode: outcome === 'failed' ? 'Error' : 'Ok',
		SpanAttributes: {
			'integration.flow': 'order-to-cash', 'integration.step': steps[i % 4], 'integration.message_id': `m-${i}`,
			'integration.correlation_id': `SO-${i}`, 'integration.outcome': outcome, 'integration.amount': String((i * 37) % 50_000),
			'integration.currency': 'EUR', 'integration.error.class': outcome === 'failed' ? classes[i % 4] : '', 'integration.target': 'erp'
		}
	});
}

const t0 = performance.now();
const BATCH = 20_000;
for (let start = reuse ? EXCEPTIONS : 0; start < EXCEPTIONS; start += BATCH) {
	const spans: string[] = [];
	const logs: string[] = [];
	for (let i = start; i < Math.min(EXCEPTIONS, start + BATCH); i++) {
		const at = now - 3_600_000 + (i % 3_000_000);
		const s = spanRow(i, 'failed', at);
		spans.push(s);
		if (i % 10 === 0) spans.push(s); // a client re-sent it
		logs.push(JSON.stringify({ Timestamp: ns(at + 5), TraceId: hex(16), SpanId: hex(8), ServiceName: 'mule-o2c', EventName: 'integration.dead_letter', Body: `{"order":"SO-${i}"}`, LogAttributes: { 'integration.flow': 'order-to-cash', 'integration.step': steps[i % 4], 'integration.message_id': `m-${i}` } }));
	}
	await db.insertRaw('otel_traces', Buffer.from(spans.join('\n')), { format: 'JSONEachRow' });
	await db.insertRaw('otel_logs', Buffer.from(logs.join('\n')), { format: 'JSONEachRow' });
}
for (let start = reuse ? SUCCESS : 0; start < SUCCESS; start += BATCH) {
	const spans: string[] = [];
	// every 5th failed message is later delivered; the rest are other messages' successes
	for (let j = start; j < Math.min(SUCCESS, start + BATCH); j++) {
		const i = j < EXCEPTIONS / 5 ? j * 5 : EXCEPTIONS + j;
		spans.push(spanRow(i, 'success', now - 60_000));
	}
	await db.insertRaw('otel_traces', Buffer.from(spans.join('\n')), { format: 'JSONEachRow' });
}
const loadSeconds = (performance.now() - t0) / 1000;
if (keep) writeFileSync(join(dir, 'loaded'), `${EXCEPTIONS}`);

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
	await fn(); // warm
	const ms: number[] = [];
	for (let r = 0; r < RUNS; r++) {
		const s = performance.now();
		await fn();
		ms.push(performance.now() - s);
	}
	ms.sort((a, b) => a - b);
	return { p50: ms[Math.floor(ms.length / 2)], p95: ms[Math.ceil(ms.length * 0.95) - 1], max: ms[ms.length - 1] };
}

const me = { email: 'bench@example.com' };
const first = await listExceptions({ limit: 100 });
const open = await listExceptions({ state: ['open'], limit: 1 });
const queuePage = await listExceptions({ ...QUEUE_DEFAULTS, limit: 100 }, me);
const figures = {
	queueDefault: await time(() => listExceptions({ ...QUEUE_DEFAULTS, limit: 100 }, me)),
	queueNext: await time(() => listExceptions({ ...QUEUE_DEFAULTS, limit: 100, cursor: queuePage.next ?? undefined }, me)),
	queue: await time(() => listExceptions({ limit: 100 })),
	queueFiltered: await time(() => listExceptions({ state: ['open'], errorClass: 'validation', minAmount: 10_000, limit: 100 })),
	one: await time(() => getExceptionRow(exceptionId('order-to-cash', `m-${EXCEPTIONS - 1}`))),
	dryRun500: await time(() => dryRun(first.items.slice(0, 100).map((i) => i.id).concat(Array.from({ length: 400 }, (_, k) => exceptionId('order-to-cash', `m-${k * 5}`))), 'retry'))
};
const result = {
	date: new Date().toISOString(),
	machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 20)} MiB RAM, Node ${process.version}`,
	workload: { exceptions: EXCEPTIONS, successSpans: SUCCESS, runs: RUNS, loadSeconds },
	/** the machine is shared: the 1-minute load average when the timings ended */
	loadAverage: loadavg()[0],
	totals: { exceptions: first.total, open: open.total, needsAPerson: queuePage.total },
	figures
};
const f = (x: { p50: number; p95: number; max: number }) => `${x.p50.toFixed(1)} / ${x.p95.toFixed(1)} / ${x.max.toFixed(1)} ms`;
const md = `# Exceptions queue benchmark — ${result.date}

Machine: ${result.machine}; load average ${result.loadAverage.toFixed(1)} at the end (a shared machine: figures are noisy)

Workload: ${EXCEPTIONS.toLocaleString('en-US')} failed messages (failed span + dead letter, 10 % re-sent) and ${SUCCESS.toLocaleString('en-US')} successful spans (every 5th failure later delivered) on embedded chDB; ${RUNS} timed runs after one warm-up. Loaded in ${loadSeconds.toFixed(1)} s.

Result: ${first.total.toLocaleString('en-US')} exceptions, ${open.total.toLocaleString('en-US')} open (the rest resolved by telemetry).

| query | p50 / p95 / max |
| --- | --- |
| queue as the page opens it (needs a person, by value at risk: 100 rows, total, signatures) | ${f(figures.queueDefault)} |
| its next page (cursor) | ${f(figures.queueNext)} |
| queue, newest 100 of every state (the figure measured before) | ${f(figures.queue)} |
| queue filtered (open, validation, amount ≥ 10,000) | ${f(figures.queueFiltered)} |
| one exception | ${f(figures.one)} |
| bulk dry run, 500 ids | ${f(figures.dryRun500)} |
`;
mkdirSync(join(here, 'results'), { recursive: true });
const stamp = result.date.slice(0, 16).replace(':', '');
writeFileSync(join(here, `results/exceptions-${stamp}-${EXCEPTIONS}.json`), JSON.stringify(result, null, 2));
writeFileSync(join(here, `results/exceptions-${stamp}-${EXCEPTIONS}.md`), md);
console.log(md);
await db.close();
if (!keep) rmSync(dir, { recursive: true, force: true });
