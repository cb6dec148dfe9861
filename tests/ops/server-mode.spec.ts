/**
 * Server mode end to end: `syncscope migrate`, two `syncscope collector` and one `syncscope console`
 * as separate processes against one ClickHouse (the HTTP fixture). Spans sent to either collector
 * land in the one store; readiness follows the store; SIGTERM stops each process with exit 0.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { sql } from '../../src/lib/server/db';
import { HttpDb } from '../../src/lib/server/db/http';
import { startClickHouseHttpFixture, type ClickHouseHttpFixture } from '../fixtures/clickhouse-http';
import { makeSpans, runLoad } from '../faults/harness/load';
import { startSyncscope, type RunningProcess } from '../faults/harness/process';
import { BIN, cleanEnv, runCli } from './cli-process';

let fx: ClickHouseHttpFixture;
let db: HttpDb;
const procs: RunningProcess[] = [];
let env: Record<string, string>;

beforeAll(async () => {
	fx = await startClickHouseHttpFixture();
	db = new HttpDb({ url: fx.url, username: 'default', password: '', database: 'default' });
	env = { CLICKHOUSE_URL: fx.url };
	const m = await runCli(['migrate'], { ...env, SYNCSCOPE_ADMIN_EMAIL: 'admin@example.com', SYNCSCOPE_ADMIN_PASSWORD: 'correct-horse-battery' });
	expect(m.code, m.stderr).toBe(0);
});
afterAll(async () => {
	for (const p of procs) p.kill('SIGKILL');
	await db?.close();
	await fx?.close();
});

/** `syncscope console` on port 0: it prints its port in the ready line. */
function startConsoleProcess(): Promise<{ port: number; kill: (s: NodeJS.Signals) => void; exited: Promise<number | null> }> {
	const child = spawn(process.execPath, [BIN, 'console'], { env: cleanEnv({ ...env, PORT: '0', HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
	const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
	let out = '';
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`console not ready\n${err}`)), 60_000);
		child.stdout.on('data', (d) => {
			out += d;
			const line = out.split('\n').find((l) => l.startsWith('{"ready":"console"'));
			if (!line) return;
			clearTimeout(timer);
			resolve({ port: JSON.parse(line).port, kill: (s) => child.kill(s), exited });
		});
		void exited.then((c) => reject(new Error(`console exited ${c}\n${err}`)));
	});
}

it('runs collectors and a console as separate stateless processes against one store', { timeout: 180_000 }, async () => {
	const [c1, c2] = await Promise.all([startSyncscope('collector', env), startSyncscope('collector', env)]);
	procs.push(c1, c2);
	const web = await startConsoleProcess();
	const base = `http://127.0.0.1:${web.port}`;

	const service = `server-mode-${Date.now()}`;
	const spans = makeSpans(2_000, service);
	const [a, b] = await Promise.all([
		runLoad({ url: `http://127.0.0.1:${c1.ready.otlpHttpPort}`, spans: spans.slice(0, 1_000), batchSize: 100, concurrency: 2, deadlineMs: 60_000 }),
		runLoad({ url: `http://127.0.0.1:${c2.ready.otlpHttpPort}`, spans: spans.slice(1_000), batchSize: 100, concurrency: 2, deadlineMs: 60_000 })
	]);
	expect(a.ackedSpans + b.ackedSpans).toBe(2_000);
	const [row] = await db.query<{ n: number }>(sql`SELECT uniqExact(TraceId, SpanId) AS n FROM otel_traces WHERE ServiceName = ${{ String: service }}`);
	expect(row.n).toBe(2_000);

	for (const c of [c1, c2]) {
		const ops = `http://127.0.0.1:${c.ready.opsPort}`;
		expect((await fetch(`${ops}/readyz`)).status).toBe(200);
		expect(await (await fetch(`${ops}/metrics`)).text()).toMatch(/syncscope_collector_accepted_items_total\{signal="traces"\} 1000/);
	}
	expect((await fetch(`${base}/readyz`)).status).toBe(200);
	expect((await fetch(`${base}/healthz`)).status).toBe(200);
	const login = await fetch(`${base}/login`);
	expect(login.status).toBe(200);
	expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/syncscope_console_request_duration_seconds_count\{method="GET",route="\/login",status="200"\} 1/);

	await fx.pause();
	expect((await fetch(`${base}/readyz`)).status).toBe(503);
	expect((await fetch(`http://127.0.0.1:${c1.ready.opsPort}/readyz`)).status).toBe(503);
	await fx.resume();
	expect((await fetch(`${base}/readyz`)).status).toBe(200);

	web.kill('SIGTERM');
	c1.kill('SIGTERM');
	c2.kill('SIGTERM');
	expect(await web.exited).toBe(0);
	expect((await c1.exited).code).toBe(0);
	expect((await c2.exited).code).toBe(0);
	const [admins] = await db.query<{ n: number }>(sql`SELECT count() AS n FROM users`);
	expect(admins.n).toBe(1);
});
