/**
 * Both webhook senders' callers go through the one guard: an action endpoint with a special-purpose
 * IPv6 target is refused at save, and an alert notification to 127.0.0.1 is refused unless the
 * host:port is allow-listed (admin list or SYNCSCOPE_ACTION_ALLOWLIST), on the real store.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDb, type TestDb } from '../helpers/db';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { deliver } from '../../src/lib/server/alerts/notify';
import type { AlertEvent } from '../../src/lib/server/alerts/store';
import { config, setConfig } from '../../src/lib/server/config';

const admin = { email: 'admin@example.com', role: 'admin' };
let t: TestDb;
let server: http.Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
	t = await testDb({ secretKey: randomBytes(32).toString('base64') });
	server = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			hits++;
			res.writeHead(204).end();
		});
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
	await new Promise<void>((ok) => server.close(() => ok()));
	await t?.cleanup();
});
beforeEach(() => {
	hits = 0;
});

describe('action endpoints: special-purpose IPv6 targets are refused at save', () => {
	for (const host of ['[::127.0.0.1]', '[2002:7f00:1::]', '[64:ff9b:1::7f00:1]', '[::ffff:0:7f00:1]', '[fec0::1]', '[2001:0:4136:e378:8000:63bf:3fff:fdd2]', '[2001:db8::1]']) {
		it(`refuses http://${host}/hook`, async () => {
			await expect(createEndpoint({ name: 'x', url: `http://${host}/hook` }, admin)).rejects.toThrow(/special-purpose/);
		});
	}
});

describe('alert notifications go through the SSRF guard', () => {
	const event: AlertEvent = {
		alertKey: 'order-to-cash/burn-rate', rule: 'burn-rate', flow: 'order-to-cash', kind: 'burn-rate', status: 'firing', event: 'firing',
		value: 20, threshold: 14.4, summary: 'Order to cash: error budget burning', startedAt: new Date().toISOString(), at: new Date().toISOString(), delivered: []
	};
	const hook = () => ({ url: `http://127.0.0.1:${port}/alerts`, format: 'standard' as const });

	it('an alert webhook to 127.0.0.1 is refused unless allow-listed', async () => {
		expect(await deliver(event, [hook()])).toEqual([]);
		expect(hits).toBe(0);
	});

	it('the admin allow-list lets it through, and removing the entry stops it again', async () => {
		await setAllowed(`127.0.0.1:${port}`, true, admin);
		expect(await deliver(event, [hook()])).toEqual([hook().url]);
		expect(hits).toBe(1);
		await setAllowed(`127.0.0.1:${port}`, false, admin);
		expect(await deliver(event, [hook()])).toEqual([]);
		expect(hits).toBe(1);
	});

	it('SYNCSCOPE_ACTION_ALLOWLIST lets it through too; a hex spelling of loopback is still loopback', async () => {
		const before = config();
		try {
			setConfig({ ...before, actionAllowlist: [`127.0.0.1:${port}`] });
			expect(await deliver(event, [{ ...hook(), url: `http://0x7f.1:${port}/alerts` }])).toHaveLength(1);
			setConfig({ ...before, actionAllowlist: [] });
			expect(await deliver(event, [{ ...hook(), url: `http://0x7f.1:${port}/alerts` }])).toEqual([]);
			expect(hits).toBe(1);
		} finally {
			setConfig(before);
		}
	});

	it('redirects from an alert receiver are not followed (fetch used to follow them)', async () => {
		const redirector = http.createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${port}/alerts` }).end());
		await new Promise<void>((ok) => redirector.listen(0, '127.0.0.1', ok));
		const rport = (redirector.address() as AddressInfo).port;
		try {
			expect(await deliver(event, [{ url: `http://127.0.0.1:${rport}/x`, format: 'standard' }], { allowlist: [`127.0.0.1:${rport}`, `127.0.0.1:${port}`] })).toEqual([]);
			expect(hits).toBe(0);
		} finally {
			await new Promise<void>((ok) => redirector.close(() => ok()));
		}
	});
});
