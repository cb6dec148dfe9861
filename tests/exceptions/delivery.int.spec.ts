/** Webhook delivery semantics and the SSRF guard. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { startReceiver, type Receiver } from './receiver';
import { createEndpoint, getEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { deliver, deliveryLog, type WebhookData } from '../../src/lib/server/actions/delivery';
import { checkTarget } from '../../src/lib/server/webhooks/ssrf';
import { isPrivateAddress } from '../../src/lib/server/webhooks/addresses';
import { sign, verify } from '../../src/lib/server/webhooks/signing';
import { open, seal } from '../../src/lib/server/actions/secret-box';
import { db, sql } from '../../src/lib/server/db';

let t: TestDb;
let rx: Receiver;
let secret = '';
let endpointId = '';

const data = (deliveryId: string): WebhookData => ({
	deliveryId,
	action: 'retry',
	exceptionId: `exc-${deliveryId}`,
	flow: 'order-to-cash',
	step: 'erp.create-sales-order',
	correlationId: 'SO-1',
	messageId: 'm',
	idempotencyKey: '',
	target: 'erp',
	payload: '{}',
	payloadSha256: '',
	requestedBy: 'op@example.com',
	approvedBy: ''
});

beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ id: endpointId, secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

describe('Standard Webhooks signing', () => {
	it('matches the spec example', () => {
		// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (signature scheme)
		const s = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
		const body = '{"test": 2432232314}';
		expect(sign(s, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
		expect(verify(s, { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v2,x v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, body, 300, 1614265330_000)).toBe(true);
		expect(verify(s, { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, body + ' ', 300, 1614265330_000)).toBe(false);
	});

	it('stores secrets encrypted, not in the clear', async () => {
		const rows = await db().query<{ SecretEnc: string }>(sql`SELECT SecretEnc FROM action_endpoints`);
		expect(rows[0].SecretEnc).not.toContain(secret.slice(6, 20));
		expect(open(rows[0].SecretEnc)).toBe(secret);
		// flip one bit of the ciphertext: GCM's tag no longer verifies
		const [v, iv, tag, ct] = seal('secret').split('.');
		const bytes = Buffer.from(ct, 'base64url');
		bytes[0] ^= 1;
		expect(() => open([v, iv, tag, bytes.toString('base64url')].join('.'))).toThrow();
	});
});

describe('delivery', () => {
	it('retries 5xx with the same Idempotency-Key and is processed once', async () => {
		rx.statuses.push(503, 500);
		const before = rx.requests.length;
		const r = await deliver({ endpointId, data: data('dlv_retry') });
		expect(r).toMatchObject({ outcome: 'delivered', attempts: 3 });
		const reqs = rx.requests.slice(before);
		expect(reqs).toHaveLength(3);
		expect(new Set(reqs.map((q) => q.headers['idempotency-key']))).toEqual(new Set(['dlv_retry']));
		expect(rx.processed.filter((p) => p.headers['idempotency-key'] === 'dlv_retry')).toHaveLength(1);
		expect((await deliveryLog('exc-dlv_retry')).map((l) => `${l.Attempt}:${l.Status}:${l.Outcome}`)).toEqual(['1:503:retrying', '2:500:retrying', '3:200:delivered']);
	});

	it('counts attempts in syncscope_action_deliveries_total', async () => {
		const { exposition } = await import('../../src/lib/server/metrics');
		const text = exposition();
		expect(text).toMatch(/syncscope_action_deliveries_total\{action="retry",outcome="failed"\} 2/);
		expect(text).toMatch(/syncscope_action_deliveries_total\{action="retry",outcome="delivered"\} 1/);
	});

	it('never sends a delivered delivery again', async () => {
		const before = rx.requests.length;
		expect(await deliver({ endpointId, data: data('dlv_retry') })).toMatchObject({ outcome: 'duplicate' });
		expect(rx.requests.length).toBe(before);
	});

	it('does not follow redirects and does not retry them', async () => {
		rx.statuses.push(302);
		const before = rx.requests.length;
		expect(await deliver({ endpointId, data: data('dlv_302') })).toMatchObject({ outcome: 'failed', status: 302, error: expect.stringContaining('not followed') });
		expect(rx.requests.length - before).toBe(1);
	});

	it('a 4xx is permanent', async () => {
		rx.statuses.push(422);
		expect(await deliver({ endpointId, data: data('dlv_422') })).toMatchObject({ outcome: 'failed', status: 422, attempts: 1 });
	});

	it('410 Gone disables the endpoint', async () => {
		const rx2 = await startReceiver(() => secret);
		try {
			await setAllowed(rx2.hostPort, true, users.admin);
			const ep = await createEndpoint({ name: 'gone', url: rx2.url, secret }, users.admin);
			rx2.statuses.push(410);
			expect(await deliver({ endpointId: ep.id, data: data('dlv_410') })).toMatchObject({ outcome: 'failed', status: 410 });
			expect(await getEndpoint(ep.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
			expect(await deliver({ endpointId: ep.id, data: data('dlv_410b') })).toMatchObject({ outcome: 'failed', error: expect.stringContaining('disabled') });
			expect(rx2.requests).toHaveLength(1);
		} finally {
			await rx2.close();
		}
	});

	it('re-checks the target at send: removing it from the allow-list stops delivery', async () => {
		await setAllowed(rx.hostPort, false, users.admin);
		const before = rx.requests.length;
		expect(await deliver({ endpointId, data: data('dlv_ssrf') })).toMatchObject({ outcome: 'failed', error: expect.stringContaining('SSRF') });
		expect(rx.requests.length).toBe(before);
		await setAllowed(rx.hostPort, true, users.admin);
	});
});

describe('SSRF guard', () => {
	const refused = [
		'http://127.0.0.1:8080/x',
		'http://localhost/x',
		'http://10.1.2.3/',
		'http://172.20.0.1/',
		'http://192.168.1.10/',
		'http://169.254.169.254/latest/meta-data/',
		'http://[::1]/',
		'http://[::ffff:127.0.0.1]/',
		'http://[fd00:ec2::254]/',
		'http://[fe80::1]/',
		'http://0.0.0.0/',
		'http://100.64.0.1/'
	];
	for (const url of refused) {
		it(`refuses ${url}`, async () => {
			await expect(checkTarget(url, [])).rejects.toThrow(/loopback\/private\/link-local/);
		});
	}

	it('refuses other schemes and credentials in URLs', async () => {
		await expect(checkTarget('file:///etc/passwd', [])).rejects.toThrow(/http and https/);
		await expect(checkTarget('gopher://example.com/', [])).rejects.toThrow(/http and https/);
		await expect(checkTarget('http://u:p@8.8.8.8/', [])).rejects.toThrow(/credentials/);
	});

	it('accepts public addresses and allow-listed private ones', async () => {
		await expect(checkTarget('https://8.8.8.8/hook', [])).resolves.toMatchObject({ address: '8.8.8.8' });
		await expect(checkTarget('http://127.0.0.1:9000/hook', ['127.0.0.1:9000'])).resolves.toMatchObject({ address: '127.0.0.1' });
		await expect(checkTarget('http://127.0.0.1:9001/hook', ['127.0.0.1:9000'])).rejects.toThrow();
		expect(isPrivateAddress('93.184.216.34')).toBe(false);
		expect(isPrivateAddress('2606:4700::1111')).toBe(false);
	});

	it('an allow-listed IPv6 loopback target matches how the guard spells it', async () => {
		const { adminAllowlist } = await import('../../src/lib/server/actions/endpoints');
		await setAllowed('[::1]:8080', true, users.admin);
		expect(await adminAllowlist()).toContain('::1:8080');
		await expect(checkTarget('http://[::1]:8080/hook', await adminAllowlist())).resolves.toMatchObject({ address: '::1' });
		await expect(setAllowed('not a host port', true, users.admin)).rejects.toThrow(/host:port/);
	});

	it('refuses to save an endpoint with a private target', async () => {
		await expect(createEndpoint({ name: 'internal', url: 'http://10.0.0.5/hook' }, users.admin)).rejects.toThrow(/allow-list 10.0.0.5:80/);
		await expect(createEndpoint({ name: 'meta', url: 'http://169.254.169.254/' }, users.admin)).rejects.toThrow();
	});
});
