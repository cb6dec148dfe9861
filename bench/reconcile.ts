/**
 * `npm run bench:reconcile`: the reconciliation page's query at scale, on embedded chDB.
 *
 * For each size (KEYS, default 100k, 1M and 5M keys in one UTC day) a flow of its own gets one day of
 * interpreted points written straight into recon_points (what migration 400's views write from spans):
 * per key a CRM source and three targets (ERP, new ERP, WMS optional), each point under two key names
 * (correlation_id and message_id, as the views index both), with known shares of missing (1 %),
 * duplicated (0.5 %), mismatched (0.5 %), unexpected (0.2 %) keys and a WMS that gets half of them.
 * Then it times what the page runs — flowResult (every figure per target, the hourly trend, control
 * totals) — over yesterday, three ways, and appends p50/p95 per size to
 * bench/results/reconcile-<date>.md (machine and date) and a .json beside it:
 *  - kept: yesterday seen now (settled), served from its kept result (kept.ts): the fingerprint of
 *    its points, the kept rows and the control totals — what every view after the first costs;
 *  - cold: the same with no kept result (recon_results emptied before each round): fingerprint, the
 *    page query, and writing the result — the first view of a day the background fold has not kept;
 *  - live: yesterday seen at 00:30 today, inside the WMS grace period (open: never kept) — what every
 *    view of an open window costs, i.e. the page query itself (today's partial day costs the same per key);
 * and the fingerprint alone, and the drill-down list of missing keys (200, always live).
  */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig, setConfig } from '../src/lib/server/config';
import { setDb, sql, type Db } from '../src/lib/server/db';
import { EmbeddedDb } from '../src/lib/server/db/chdb';
import { migrate } from '../src/lib/server/db/migrate';
import { parseCatalogue } from '../src/lib/server/flows/catalogue';
import { keptStats, pointsFingerprint } from '../src/lib/server/reconciliation/kept';
import { keysIn } from '../src/lib/server/reconciliation/queries';
import { flowResult } from '../src/lib/server/reconciliation/results';

const SIZES = (process.env.KEYS ?? '100000,1000000,5000000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
/** rounds for sizes above 1M keys (each takes seconds on a shared machine) */
const ROUNDS_LARGE = Number(process.env.ROUNDS_LARGE ?? 5);
/** rounds of the cold and live timings (each runs the page query) */
const ROUNDS_COLD = Number(process.env.ROUNDS_COLD ?? 10);
const DAY = 86_400_000;

const flowYaml = (id: string) => `
  - id: ${id}
    name: Bench ${id}
    businessOwner: Sales ops
    technicalOwner: Integration team
    steps:
      - { id: crm.submit-order, name: CRM, system: crm }
      - { id: erp.create-sales-order, name: ERP, system: erp }
      - { id: erp-new.create-sales-order, name: New ERP, system: erp-new }
      - { id: wms.allocate, name: WMS, system: wms, optional: true }
    reconciliation:
      - id: orders
        name: CRM orders reach both ERPs and the WMS
        entityType: sales_order
        source: { step: crm.submit-order, system: crm }
        targets:
          - { step: erp.create-sales-order, system: erp, grace: 30m }
          - { step: erp-new.create-sales-order, system: erp-new, grace: 30m }
          - { step: wms.allocate, system: wms, grace: 1h, required: false, compare: [currency] }
        compare: [amount, currency]
        tolerance: 0.01`;
const flows = parseCatalogue(`flows:${SIZES.map((n) => flowYaml(`bench-${n}`)).join('')}`).flows;

/** One day of points for n keys of a flow, in chunks (INSERT … SELECT FROM numbers). */
async function generate(db: Db, flow: string, n: number, dayStart: number) {
	const chunk = 1_000_000;
	for (let off = 0; off < n; off += chunk) {
		await db.exec(sql`
INSERT INTO recon_points (Flow, KeyName, Step, Outcome, Timestamp, KeyValue, PointId, TraceId, Signal, Amount, Currency)
SELECT ${{ String: flow }}, kn.1, p.1, 'success',
	fromUnixTimestamp64Milli(toInt64(${{ Int64: dayStart }} + intDiv(k * ${{ Int64: DAY - 3_600_000 }}, ${{ UInt64: n }}) + p.2)),
	concat(kn.2, toString(k)), sipHash64(k, p.1, p.2), lower(hex(sipHash128(k))), 'span', p.3, 'USD'
FROM (SELECT number + ${{ UInt64: off }} AS k, 100 + (k % 900) AS amt FROM numbers(${{ UInt64: Math.min(chunk, n - off) }}))
ARRAY JOIN arrayFilter(x -> x.4, [
	('crm.submit-order', 0, amt, k % 500 != 0),
	('erp.create-sales-order', 60000, if(k % 200 = 3, amt + 1, amt), k % 100 != 1),
	('erp.create-sales-order', 120000, amt, k % 200 = 5),
	('erp-new.create-sales-order', 90000, amt, k % 50 != 7),
	('wms.allocate', 300000, amt, k % 2 = 0)]) AS p
ARRAY JOIN [('correlation_id', 'SO-'), ('message_id', 'MSG-')] AS kn`);
	}
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const round = (v: number) => Math.round(v * 10) / 10;
const stats = (xs: number[]) => ({ n: xs.length, p50: round(pct(xs, 0.5)), p95: round(pct(xs, 0.95)), max: round(Math.max(...xs)) });

async function main() {
	const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'syncscope-bench-recon-'));
	const config = setConfig(loadConfig(process.env, { dataDir: dir }));
	const db = new EmbeddedDb(dir);
	setDb(db);
	await migrate(db, config);
	// yesterday, UTC, seen now: a settled day (nothing pending), as the page shows it the morning after;
	// and the same day seen at 00:30 today, inside the WMS target's grace period (open, live)
	const dayStart = Math.floor(Date.now() / DAY) * DAY - DAY;
	const w = { window: 'day' as const, from: new Date(dayStart), to: new Date(dayStart + DAY), now: new Date(), bucketSeconds: 3600 };
	const open = { ...w, now: new Date(dayStart + DAY + 30 * 60_000) };
	const reuse = process.env.BENCH_REUSE === '1';
	const sizes = [];
	for (const [i, n] of SIZES.entries()) {
		const flow = flows[i];
		let loadSeconds: number | null = null;
		if (!reuse) {
			const t0 = performance.now();
			await generate(db, flow.id, n, dayStart);
			loadSeconds = round((performance.now() - t0) / 1000);
		}
		const [size] = await db.query<{ rows: number }>(sql`SELECT count() AS rows FROM recon_points WHERE Flow = ${{ String: flow.id }}`);
		console.log(`${n.toLocaleString()} keys: ${Number(size.rows).toLocaleString()} point rows${loadSeconds !== null ? ` (written in ${loadSeconds} s)` : ''}`);
		const first = await flowResult(flow, open, db); // warm-up (marks, compiled expressions)
		const page = { kept: [] as number[], cold: [] as number[], live: [] as number[] };
		const fingerprint: number[] = [];
		const drill: number[] = [];
		const time = async (xs: number[], f: () => Promise<unknown>) => {
			const t0 = performance.now();
			await f();
			xs.push(performance.now() - t0);
		};
		// a plain scan of the same rows (count, sums): what the machine gives a query right now, for scale
		let t = performance.now();
		await db.query(sql`SELECT count(), sum(length(KeyValue)), max(Timestamp), sum(PointId % 7), sum(ifNull(Amount, 0)) FROM recon_points WHERE Flow = ${{ String: flow.id }} AND KeyName = 'correlation_id'`);
		const scanMs = round(performance.now() - t);
		const rounds = n > 1_000_000 ? ROUNDS_LARGE : ROUNDS;
		const coldRounds = Math.min(rounds, ROUNDS_COLD);
		const computed0 = keptStats.computed;
		for (let r = 0; r < coldRounds; r++) {
			await db.exec(sql`TRUNCATE TABLE recon_results`);
			await time(page.cold, () => flowResult(flow, w, db));
			await time(page.live, () => flowResult(flow, open, db));
		}
		const computed = keptStats.computed - computed0;
		const settled = await flowResult(flow, w, db);
		for (let r = 0; r < rounds; r++) {
			await time(page.kept, () => flowResult(flow, w, db));
			await time(fingerprint, () => pointsFingerprint(flow.id, flow.reconciliation[0], w, db));
			await time(drill, () => keysIn(flow.id, flow.reconciliation[0], w, 0, 'missing', 200, db));
		}
		// every cold round computed once, no kept round did: the timings are of the paths they name
		if (computed !== coldRounds || keptStats.computed - computed0 !== coldRounds) throw new Error(`expected ${coldRounds} computations, saw ${keptStats.computed - computed0}`);
		const figures = Object.fromEntries(settled.rules[0].targets.map((t) => [t.system, t.figures]));
		const [k, c, l] = [stats(page.kept), stats(page.cold), stats(page.live)];
		console.log(`  page p50/p95: kept ${k.p50}/${k.p95} ms, cold ${c.p50}/${c.p95} ms, live ${l.p50}/${l.p95} ms; fingerprint p50 ${stats(fingerprint).p50} ms; drill-down p50/p95 ${stats(drill).p50}/${stats(drill).p95} ms`, JSON.stringify(figures.erp));
		sizes.push({
			keys: n,
			pointRows: Number(size.rows),
			loadSeconds,
			scanMs,
			sourceKeys: settled.rules[0].sourceKeys,
			pendingWhenOpen: first.rules[0].targets[0].figures.pending,
			figures,
			pageKeptMs: k,
			pageColdMs: c,
			pageLiveMs: l,
			fingerprintMs: stats(fingerprint),
			drillDownMs: stats(drill)
		});
	}
	const result = {
		date: new Date().toISOString(),
		machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
		loadAverage: loadavg().map(round),
		rounds: ROUNDS,
		goalP95Ms: { keys: 1_000_000, ms: 1000 },
		sizes
	};
	mkdirSync('bench/results', { recursive: true });
	const stamp = `${result.date.slice(0, 10)}T${result.date.slice(11, 13)}${result.date.slice(14, 16)}`;
	writeFileSync(`bench/results/reconcile-${stamp}.json`, JSON.stringify(result, null, 2) + '\n');
	const md = `bench/results/reconcile-${result.date.slice(0, 10)}.md`;
	if (!existsSync(md)) appendFileSync(md, `# Reconciliation benchmark (bench/reconcile.ts)\n`);
	appendFileSync(
		md,
		`
## Run ${result.date}

Machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memGiB} GiB, ${result.machine.os}, Node ${result.machine.node}; embedded chDB. Load average at the end (1/5/15 min): ${result.loadAverage.join(' / ')} (the machine is shared).
One UTC day per size (yesterday), one rule with 3 targets (2 required, 1 optional), every point under 2 key names; timed rounds after a warm-up${reuse ? '; points generated by an earlier run into BENCH_DIR (BENCH_REUSE=1)' : ''}. "plain scan" = count and sums over the same rows once (no grouping), for the machine's state at that moment.
"page" = flowResult: every figure per target, the hourly trend and the control totals (what /reconciliation/{flow} and GET /api/v1/reconciliation/{flow} run), three ways:
**kept** = yesterday seen now (settled), served from its kept result: fingerprint of its points + kept rows + control totals (every view after the first; the issue's figure);
**cold** = the same with no kept result (emptied before each round): fingerprint + the page query + writing the result (the first view, when the background fold has not kept the day yet);
**live** = yesterday seen at 00:30 today, inside the WMS grace period: an open window, never kept, the page query itself (what any open window costs, today's included).
"fingerprint" = the kept path's check alone; "drill-down" = the first 200 missing keys (always live).

| keys / day | point rows | plain scan ms | kept p50 / p95 ms (rounds) | cold p50 / p95 ms (rounds) | live p50 / p95 ms (rounds) | fingerprint p50 / p95 ms | drill-down p50 / p95 ms | goal (1M keys, settled day) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${sizes.map((s) => `| ${s.keys.toLocaleString()} | ${s.pointRows.toLocaleString()} | ${s.scanMs} | ${s.pageKeptMs.p50} / ${s.pageKeptMs.p95} (${s.pageKeptMs.n}) | ${s.pageColdMs.p50} / ${s.pageColdMs.p95} (${s.pageColdMs.n}) | ${s.pageLiveMs.p50} / ${s.pageLiveMs.p95} (${s.pageLiveMs.n}) | ${s.fingerprintMs.p50} / ${s.fingerprintMs.p95} | ${s.drillDownMs.p50} / ${s.drillDownMs.p95} | ${s.keys === 1_000_000 ? `kept p95 ≤ 1000: ${s.pageKeptMs.p95 <= 1000 ? 'met' : 'missed'}` : ''} |`).join('\n')}
`
	);
	console.log(`results: ${md}`);
	await db.close();
	if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
	process.exit(0);
}

await main();
