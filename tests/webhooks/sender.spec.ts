/**
 * The one webhook sender (webhooks/sender.ts) against a real local HTTP server: the SSRF guard at
 * connect time (DNS rebinding, IP literals, allow-list per host:port, no reused sockets), signing,
 * retries, redirects, timeouts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendWebhook, type Attempt, type WebhookMessage } from '../../src/lib/server/webhooks/sender';
import { checkTarget, type Resolver } from '../../src/lib/server/webhooks/ssrf';
import { newSecret, verify } from '../../src/lib/server/webhooks/signing';

let server: http.Server;
let port = 0;
const received: { headers: http.IncomingHttpHeaders; body: string; socketPort: number }[] = [];
/** what the next requests get: a status, or 'hang' (never answer) */
let replies: (number | 'hang')[] = [];

beforeAll(async () => {
	server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			received.push({ headers: req.headers, body, socketPort: req.socket.remotePort ?? 0 });
			const r = replies.shift() ?? 200;
			if (r === 'hang') return;
			res.writeHead(r, r >= 300 && r < 400 ? { location: 'http://169.254.169.254/' } : {}).end('ignored body');
		});
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));
beforeEach(() => {
	received.length = 0;
	replies = [];
});

const secret = newSecret();
const fast = { attempts: 3, backoffMs: 1, timeoutMs: 2_000 };
const to = (address: string): Resolver => async () => [{ address, family: address.includes(':') ? 6 : 4 }];

function message(url: string, allowlist: readonly string[], extra: Partial<WebhookMessage> = {}): WebhookMessage & { attempts: Attempt[] } {
	const attempts: Attempt[] = [];
	return {
		id: 'msg_1',
		body: '{"hello":"world"}',
		policy: fast,
		target: async () => ({ url, secret, allowlist }),
		onAttempt: (a) => void attempts.push(a),
		attempts,
		...extra
	};
}

describe('SSRF guard at connect time', () => {
	it('refuses a name that was public at save and resolves to loopback at send (DNS rebinding); nothing reaches the server', async () => {
		const url = `http://hooks.example.test:${port}/hook`;
		await expect(checkTarget(url, [], to('93.184.216.34'))).resolves.toMatchObject({ address: '93.184.216.34' });
		const m = message(url, [], { resolve: to('127.0.0.1') });
		const r = await sendWebhook(m);
		expect(r).toMatchObject({ outcome: 'failed', status: 0, attempts: 1, error: expect.stringMatching(/refused by the SSRF guard: hooks.example.test resolves to 127.0.0.1/) });
		expect(m.attempts[0]).toMatchObject({ refused: true, outcome: 'failed' });
		expect(received).toHaveLength(0);
	});

	it('refuses an IPv4-mapped loopback answer from DNS too', async () => {
		const r = await sendWebhook(message(`http://hooks.example.test:${port}/hook`, [], { resolve: to('::ffff:127.0.0.1') }));
		expect(r.error).toMatch(/IPv4-mapped 127.0.0.1/);
		expect(received).toHaveLength(0);
	});

	it('refuses an IP-literal loopback target without opening a socket', async () => {
		const r = await sendWebhook(message(`http://127.0.0.1:${port}/hook`, []));
		expect(r).toMatchObject({ outcome: 'failed', attempts: 1, error: expect.stringContaining('loopback') });
		const hex = await sendWebhook(message(`http://0x7f.1:${port}/hook`, []));
		expect(hex.error).toMatch(/127.0.0.1.*loopback/);
		expect(received).toHaveLength(0);
	});

	it('sends to an allow-listed host:port, whatever it resolves to, signed', async () => {
		const r = await sendWebhook(message(`http://hooks.example.test:${port}/hook`, [`hooks.example.test:${port}`], { resolve: to('127.0.0.1') }));
		expect(r).toMatchObject({ outcome: 'delivered', status: 200, attempts: 1 });
		const got = received[0];
		expect(got.headers['idempotency-key']).toBe('msg_1');
		expect(verify(secret, got.headers as Record<string, string>, got.body)).toBe(true);
	});

	it('a fresh connection per attempt: the allow-list is applied again when it changes between retries', async () => {
		replies = [503];
		const url = `http://127.0.0.1:${port}/hook`;
		const m = message(url, [], { target: async (i) => ({ url, secret, allowlist: i === 0 ? [`127.0.0.1:${port}`] : [] }) });
		const r = await sendWebhook(m);
		expect(m.attempts.map((a) => `${a.status}:${a.outcome}:${a.refused}`)).toEqual(['503:retrying:false', '0:failed:true']);
		expect(r.outcome).toBe('failed');
		expect(received).toHaveLength(1);
	});
});

describe('delivery semantics', () => {
	const url = () => `http://127.0.0.1:${port}/hook`;
	const allow = () => [`127.0.0.1:${port}`];

	it('retries 5xx, 408 and 429 with the same id, each attempt signed afresh', async () => {
		replies = [503, 429, 200];
		const m = message(url(), allow());
		expect(await sendWebhook(m)).toMatchObject({ outcome: 'delivered', attempts: 3 });
		expect(m.attempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'delivered']);
		expect(new Set(received.map((x) => x.headers['webhook-id']))).toEqual(new Set(['msg_1']));
		expect(received.every((x) => verify(secret, x.headers as Record<string, string>, x.body))).toBe(true);
		expect(new Set(received.map((x) => x.socketPort)).size).toBe(3); // no reused socket
	});

	it('does not follow redirects and does not retry them', async () => {
		replies = [302];
		expect(await sendWebhook(message(url(), allow()))).toMatchObject({ outcome: 'failed', status: 302, attempts: 1, error: 'redirect (302) not followed' });
		expect(received).toHaveLength(1);
	});

	it('a 4xx is permanent; 410 says Gone', async () => {
		replies = [422];
		expect(await sendWebhook(message(url(), allow()))).toMatchObject({ outcome: 'failed', status: 422, attempts: 1 });
		replies = [410];
		expect(await sendWebhook(message(url(), allow()))).toMatchObject({ outcome: 'failed', status: 410, attempts: 1, error: expect.stringContaining('410 Gone') });
	});

	it('times out a receiver that never answers, and retries it', async () => {
		replies = ['hang', 200];
		const r = await sendWebhook(message(url(), allow(), { policy: { attempts: 2, backoffMs: 1, timeoutMs: 300 } }));
		expect(r).toMatchObject({ outcome: 'delivered', attempts: 2 });
	});

	it('gives up after the last attempt', async () => {
		replies = [500, 500, 500];
		expect(await sendWebhook(message(url(), allow()))).toMatchObject({ outcome: 'failed', status: 500, attempts: 3 });
	});

	it('stops when the caller says so before an attempt', async () => {
		const r = await sendWebhook(message(url(), allow(), { target: async () => ({ stop: 'the endpoint was deleted' }) }));
		expect(r).toEqual({ outcome: 'stopped', status: 0, error: 'the endpoint was deleted', attempts: 0 });
		expect(received).toHaveLength(0);
	});

	it('refuses other schemes and credentials in the URL', async () => {
		expect((await sendWebhook(message('file:///etc/passwd', []))).error).toMatch(/only http and https/);
		expect((await sendWebhook(message('http://u:p@8.8.8.8/', []))).error).toMatch(/credentials/);
	});
});
