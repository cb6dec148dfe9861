/**
 * The console host's operations behaviour, with a stand-in request handler in place of the built
 * SvelteKit app (the app itself is covered by the e2e tier): readiness follows the store and
 * draining, /metrics exposes latency by route, and close() finishes in-flight requests while
 * refusing new ones with 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../../src/lib/server/config';
import { setDb, type Db } from '../../src/lib/server/db';
import { startConsole, type ConsoleServer } from '../../cli/console-server';
import { actionDeliveries } from '../../src/lib/server/console-metrics';
import { testDb, type TestDb } from '../helpers/db';

/** a page body large enough to be compressed (the threshold is 1 KiB) */
const PAGE = `<!doctype html><table>${'<tr><td>order-to-cash</td><td class="num">99.5 %</td></tr>'.repeat(400)}</table>`;

describe('console server operations', () => {
	let t: TestDb;
	let web: ConsoleServer;
	let base: string;
	const release: (() => void)[] = [];
	beforeAll(async () => {
		t = await testDb();
		const handler = (req: IncomingMessage, res: ServerResponse) => {
			if (req.url === '/slow') {
				release.push(() => res.end('slow done'));
				return;
			}
			if (req.url === '/page') {
				res.setHeader('content-type', 'text/html; charset=utf-8');
				return void res.end(PAGE);
			}
			res.end('hello');
		};
		web = await startConsole(loadConfig({}, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 10_000, metricsToken: 'metrics-token-0123456789' }), { handler });
		base = `http://127.0.0.1:${web.port}`;
	});
	afterAll(async () => t?.cleanup());

	it('is ready while the store answers, and says why not when it does not', async () => {
		expect((await fetch(`${base}/readyz`)).status).toBe(200);
		const broken: Db = { ...t.db, kind: t.db.kind, ping: () => Promise.reject(new Error('store down')) } as Db;
		setDb(broken);
		const r = await fetch(`${base}/readyz`);
		expect(r.status).toBe(503);
		expect(await r.json()).toEqual({ status: 'store unavailable', reason: 'store down' });
		setDb(t.db);
		expect((await fetch(`${base}/healthz`)).status).toBe(200);
	});

	it('serves Prometheus metrics behind the metrics token', async () => {
		await fetch(`${base}/anything`);
		actionDeliveries.inc({ action: 'replay', outcome: 'delivered' });
		expect((await fetch(`${base}/metrics`)).status).toBe(401);
		const r = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
		expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
		const text = await r.text();
		expect(text).toMatch(/# TYPE syncscope_console_request_duration_seconds histogram/);
		expect(text).toMatch(/syncscope_console_request_duration_seconds_count\{method="GET",route="app",status="200"\} \d+/);
		expect(text).toMatch(/syncscope_action_deliveries_total\{action="replay",outcome="delivered"\} 1/);
	});

	it('compresses responses as the client accepts (brotli, gzip, none)', async () => {
		const { request } = await import('node:http');
		const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
		const get = (encoding: string | undefined) =>
			new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
				const req = request(`${base}/page`, { headers: encoding ? { 'accept-encoding': encoding } : {} }, (res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
				});
				req.on('error', reject).end();
			});
		const br = await get('gzip, deflate, br');
		expect(br.encoding).toBe('br');
		expect(br.body.length).toBeLessThan(PAGE.length / 10);
		expect(brotliDecompressSync(br.body).toString()).toBe(PAGE);
		const gz = await get('gzip');
		expect(gz.encoding).toBe('gzip');
		expect(gunzipSync(gz.body).toString()).toBe(PAGE);
		const plain = await get(undefined);
		expect(plain.encoding).toBeUndefined();
		expect(plain.body.toString()).toBe(PAGE);
	});

	it('drains: in-flight requests finish, new ones get 503, readiness goes false', async () => {
		const slow = fetch(`${base}/slow`).then((r) => r.text());
		while (release.length === 0) await new Promise((r) => setTimeout(r, 10));
		expect(web.inFlight).toBe(1);
		let closed = false;
		const closing = web.close().then(() => (closed = true));
		const refused = await fetch(`${base}/other`);
		expect(refused.status).toBe(503);
		expect(refused.headers.get('retry-after')).toBe('1');
		expect((await fetch(`${base}/readyz`)).status).toBe(503);
		expect(closed).toBe(false);
		release[0]();
		expect(await slow).toBe('slow done');
		await closing;
		expect(closed).toBe(true);
	});
});
