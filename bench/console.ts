/**
 * `npm run bench:console`: what the console's pages cost a browser, on the demo's data.
 *
 * Starts `syncscope demo` (TRANSACTIONS, default 3000, over 7 days, no live trickle) on the built
 * console, signs in as the demo's executive (viewer) in headless Chromium, and loads each page ROUNDS
 * times (default 5, after one warm-up): JS loaded before interaction (gzip bytes), the document's
 * bytes on the wire and encoding, main-thread long tasks and the interactive time (see
 * tests/e2e/fixtures/page-weight.ts). Goals: overview interactive ≤ 500 ms, lineage page JS ≤ 150 KB
 * gzipped. Results go to bench/results/console-<date>T<hhmm>[-LABEL].{json,md}.
 *
 * Needs a built console (`npx vite build`). Env: TRANSACTIONS, ROUNDS, PORT_BASE (default 18250), LABEL.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { startDemo } from '../tests/e2e/fixtures/demo';
import { measurePage, observeLongTasks, type PageWeight } from '../tests/e2e/fixtures/page-weight';

const TRANSACTIONS = Number(process.env.TRANSACTIONS ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PORT_BASE = Number(process.env.PORT_BASE ?? 18250);
const LABEL = process.env.LABEL ?? '';
const here = fileURLToPath(new URL('.', import.meta.url));
const loadBefore = loadavg();

const demo = await startDemo({ portBase: PORT_BASE, transactions: TRANSACTIONS, days: 7 });
const browser = await chromium.launch({
	executablePath: [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p)),
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking']
});
const results: { page: string; path: string; runs: PageWeight[] }[] = [];
try {
	const context = await browser.newContext({ baseURL: demo.baseURL, viewport: { width: 1440, height: 900 } });
	const page = await context.newPage();
	await observeLongTasks(page);
	const viewer = demo.user('viewer');
	await page.goto('/login');
	await page.locator('input[name="email"]').fill(viewer.email);
	await page.locator('input[name="password"]').fill(viewer.password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));

	const pages = [
		{ page: 'overview (24 h)', path: '/sla?range=24h' },
		{ page: 'overview (7 d)', path: '/sla?range=7d' },
		{ page: 'flow order-to-cash (24 h)', path: '/sla/order-to-cash?range=24h' },
		{ page: 'lineage result', path: `/lineage/${demo.orderId}` },
		{ page: 'alerts', path: '/alerts' }
	];
	for (const p of pages) {
		await measurePage(page, p.path); // warm-up: server caches, compiled chunks
		const runs: PageWeight[] = [];
		for (let i = 0; i < ROUNDS; i++) runs.push(await measurePage(page, p.path));
		results.push({ ...p, runs });
		console.log(`${p.page}: interactive ${median(runs.map((r) => r.interactiveMs))} ms, JS ${kb(runs[0].jsGzipBytes)} KB gz`);
	}
} finally {
	await browser.close();
	await demo.stop();
}

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}
function kb(bytes: number): string {
	return (bytes / 1024).toFixed(1);
}

const date = new Date().toISOString();
const summary = results.map((r) => ({
	page: r.page,
	path: r.path.replace(demo.orderId, '<order>'),
	jsFiles: r.runs[0].jsFiles.length,
	jsGzipKB: +kb(r.runs[0].jsGzipBytes),
	jsRawKB: +kb(r.runs[0].jsRawBytes),
	htmlTransferKB: +kb(r.runs[0].htmlTransferBytes),
	htmlEncoding: r.runs[0].htmlEncoding || 'none',
	interactiveMsMedian: median(r.runs.map((x) => x.interactiveMs)),
	interactiveMsMax: Math.max(...r.runs.map((x) => x.interactiveMs)),
	longTaskMsMedian: median(r.runs.map((x) => x.longTaskMs)),
	ttfbMsMedian: median(r.runs.map((x) => x.ttfbMs)),
	dclMsMedian: median(r.runs.map((x) => x.dclMs)),
	longTasksMedian: median(r.runs.map((x) => x.longTaskCount))
}));
const result = {
	date,
	label: LABEL || undefined,
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
	workload: { transactions: TRANSACTIONS, days: 7, rounds: ROUNDS, browser: 'headless Chromium 1440×900, signed in as the demo viewer' },
	goals: { overviewInteractiveMs: 500, lineageJsGzipKB: 150 },
	pages: summary
};
mkdirSync(join(here, 'results'), { recursive: true });
const stamp = date.slice(0, 16).replace(/:/g, '') + (LABEL ? `-${LABEL}` : '');
writeFileSync(join(here, 'results', `console-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
const md = `# Console page weight and interactive time — ${date}${LABEL ? ` (${LABEL})` : ''}

Machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; shared machine, 1-min load average ${result.machine.loadAverage1mBefore} before / ${result.machine.loadAverage1mAfter} after

Workload: \`syncscope demo\` with ${TRANSACTIONS.toLocaleString('en-US')} transactions over 7 days; ${result.workload.browser}; ${ROUNDS} timed loads per page after one warm-up. JS = every script fetched until the network is idle, summed at gzip size; interactive = end of the last long task (or DOMContentLoaded), after a 1.5 s quiet window.

| page | JS files | JS gzip KB | HTML KB on the wire (encoding) | first byte / DOMContentLoaded ms (median) | interactive median / max ms | long tasks (ms) |
| --- | --- | --- | --- | --- | --- | --- |
${summary.map((s) => `| ${s.page} | ${s.jsFiles} | ${s.jsGzipKB} | ${s.htmlTransferKB} (${s.htmlEncoding}) | ${s.ttfbMsMedian} / ${s.dclMsMedian} | ${s.interactiveMsMedian} / ${s.interactiveMsMax} | ${s.longTasksMedian} (${s.longTaskMsMedian}) |`).join('\n')}

Goals: overview interactive ≤ 500 ms; lineage result JS ≤ 150 KB gzipped.
`;
writeFileSync(join(here, 'results', `console-${stamp}.md`), md);
console.log(md);
