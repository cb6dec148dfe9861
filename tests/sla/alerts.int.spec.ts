import { createServer, type Server } from 'node:http';
import { ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRound } from '../../src/lib/server/alerts/engine';
import { newSecret, verify } from '../../src/lib/server/webhooks/signing';
import { history } from '../../src/lib/server/alerts/store';
import { setCatalogue } from '../../src/lib/server/flows/catalogue';
import { setConfig } from '../../src/lib/server/config';
import { testDb, type TestDb } from '../helpers/db';
import { Sender } from './send';
import { FLOW, testCatalogue } from './scenario';

interface Received {
	path: string;
	headers: Record<string, string>;
	body: string;
}

describe('alert rounds: fire once, re-notify, resolve; signed webhooks', () => {
	let t: TestDb;
	let server: Server;
	const received: Received[] = [];
	const secret = newSecret();
	const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);

	beforeAll(async () => {
		server = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body });
				res.writeHead(204).end();
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as { port: number }).port;
		t = await testDb({
			alertRenotifyMinutes: 1,
			alertWebhooks: [
				{ url: `http://127.0.0.1:${port}/standard`, secret, format: 'standard' },
				{ url: `http://127.0.0.1:${port}/slack`, format: 'slack', flows: [FLOW] }
			]
		});
		// the receiver is on loopback, which the webhook SSRF guard refuses unless allow-listed
		setConfig({ ...t.config, actionAllowlist: [`127.0.0.1:${port}`] });
		setCatalogue(testCatalogue);
		// ten orders in the last four minutes, eight of them failed
		const exporter = new InMemorySpanExporter();
		const tracer = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'mule' }), spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
		for (let i = 0; i < 10; i++) {
			const start = now.getTime() - 4 * 60_000 + i * 20_000;
			const s = tracer.startSpan('POST /orders', { startTime: start, attributes: { 'integration.flow': FLOW, 'integration.correlation_id': `A-${i}`, 'integration.step': 'crm.submit-order' } }, ROOT_CONTEXT);
			if (i < 8) s.setStatus({ code: SpanStatusCode.ERROR });
			s.end(start + 500);
		}
		const send = await Sender.start(t.config, t.db);
		await send.spans(exporter.getFinishedSpans());
		await send.close();
		const dl = (k: number) => ({
			Timestamp: `${Math.floor((now.getTime() - (k + 2) * 60_000) / 1000)}.000000000`,
			EventName: 'integration.dead_letter',
			LogAttributes: { 'integration.flow': FLOW, 'integration.step': 'erp.create-sales-order', 'integration.message_id': `m${k}` }
		});
		await t.db.insertRows('otel_logs', [dl(0), dl(1)]);
	});
	afterAll(async () => {
		server?.close();
		await t?.cleanup();
	});

	it('fires each breached rule once and signs the webhook', async () => {
		const r = await runRound(now, t.db);
		const fired = r.events.map((e) => e.rule).sort();
		expect(fired).toEqual(['breach:deadLettersPerHour', 'breach:successRate', 'burn-rate', 'dlq-growth']);
		expect(r.events.every((e) => e.event === 'firing' && e.delivered.length === 2)).toBe(true);
		const standard = received.filter((x) => x.path === '/standard');
		expect(standard).toHaveLength(4);
		for (const x of standard) {
			expect(verify(secret, x.headers, x.body, 300, Number(x.headers['webhook-timestamp']) * 1000)).toBe(true);
			expect(JSON.parse(x.body).type).toBe('syncscope.alert.firing');
		}
		expect(verify(secret, standard[0].headers, standard[0].body + ' ', 300, Number(standard[0].headers['webhook-timestamp']) * 1000)).toBe(false);
		const slack = received.filter((x) => x.path === '/slack').map((x) => JSON.parse(x.body));
		expect(slack).toHaveLength(4);
		expect(slack[0].text).toMatch(/Firing: Order to cash \(test\)/);
	});

	it('does not notify again within the re-notify interval (no storm)', async () => {
		const before = received.length;
		const r = await runRound(new Date(now.getTime() + 30_000), t.db);
		expect(r.events).toEqual([]);
		expect(received.length).toBe(before);
	});

	it('re-notifies a still-firing alert after the interval', async () => {
		const r = await runRound(new Date(now.getTime() + 70_000), t.db);
		expect(r.events.map((e) => e.event)).toContain('renotify');
		expect(r.events.every((e) => e.status === 'firing')).toBe(true);
	});

	it('resolves once the breach has passed, and keeps the history', async () => {
		const later = new Date(now.getTime() + 2 * 3_600_000);
		const r = await runRound(later, t.db);
		expect(r.events.map((e) => e.rule).sort()).toEqual(['breach:deadLettersPerHour', 'breach:successRate', 'burn-rate', 'dlq-growth']);
		expect(r.events.every((e) => e.event === 'resolved' && Date.parse(e.startedAt) === now.getTime())).toBe(true);
		expect((await runRound(new Date(later.getTime() + 60_000), t.db)).events).toEqual([]);
		const h = await history({ flow: FLOW }, t.db);
		expect(h.filter((e) => e.event === 'firing')).toHaveLength(4);
		expect(h.filter((e) => e.event === 'resolved')).toHaveLength(4);
	});
});
