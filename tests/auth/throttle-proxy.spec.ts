/**
 * The client address behind a reverse proxy (issue 14, finding 12): X-Forwarded-For is believed
 * only when the peer is a trusted proxy (SYNCSCOPE_TRUSTED_PROXIES), and only from the right,
 * up to the first address that is not a trusted proxy.
 */
import { BlockList } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { ConfigError, loadConfig, setConfig } from '../../src/lib/server/config';
import { createUser } from '../../src/lib/server/auth/users';
import { IP_BUDGET } from '../../src/lib/server/auth/throttle';
import { clientAddressFrom } from '../../src/lib/server/request';
import { Client, testApp, type TestApp } from '../helpers/app';

function blocks(...entries: string[]): BlockList {
	const b = new BlockList();
	for (const e of entries) {
		const [a, bits] = e.split('/');
		const type = a.includes(':') ? 'ipv6' : 'ipv4';
		if (bits) b.addSubnet(a, Number(bits), type);
		else b.addAddress(a, type);
	}
	return b;
}

describe('clientAddressFrom', () => {
	const proxies = blocks('10.0.0.0/8', '127.0.0.1');
	it('is the peer when the peer is not a trusted proxy, whatever the header says', () => {
		expect(clientAddressFrom('203.0.113.5', '198.51.100.1', proxies)).toBe('203.0.113.5');
		expect(clientAddressFrom('203.0.113.5', null, proxies)).toBe('203.0.113.5');
		expect(clientAddressFrom('::ffff:203.0.113.5', '1.2.3.4', proxies)).toBe('203.0.113.5');
		expect(clientAddressFrom('203.0.113.5', '1.2.3.4', blocks())).toBe('203.0.113.5');
	});
	it('is the rightmost address that is not a trusted proxy when the peer is one', () => {
		expect(clientAddressFrom('10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
		expect(clientAddressFrom('::ffff:10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
		// two proxies in a row; the client's own (spoofed) entries on the left are never read
		expect(clientAddressFrom('10.0.0.2', '6.6.6.6, 198.51.100.1, 10.0.0.9', proxies)).toBe('198.51.100.1');
		expect(clientAddressFrom('127.0.0.1', ' 2001:db8::7 ', proxies)).toBe('2001:db8::7');
		expect(clientAddressFrom('127.0.0.1', '198.51.100.1:51234', proxies)).toBe('198.51.100.1');
	});
	it('stops at the last trusted hop on a malformed entry or when every hop is trusted', () => {
		expect(clientAddressFrom('10.0.0.2', 'nonsense', proxies)).toBe('10.0.0.2');
		expect(clientAddressFrom('10.0.0.2', '198.51.100.1, nonsense', proxies)).toBe('10.0.0.2');
		expect(clientAddressFrom('10.0.0.2', '10.0.0.3, 10.0.0.4', proxies)).toBe('10.0.0.3');
		expect(clientAddressFrom('10.0.0.2', '', proxies)).toBe('10.0.0.2');
	});
});

describe('SYNCSCOPE_TRUSTED_PROXIES', () => {
	it('takes IPs and CIDR ranges, comma-separated; refuses anything else at start', () => {
		expect(loadConfig({ SYNCSCOPE_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1, fd00::/8' }).trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
		expect(loadConfig({}).trustedProxies).toEqual([]);
		for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/1', '::1/129', '*']) {
			expect(() => loadConfig({ SYNCSCOPE_TRUSTED_PROXIES: bad })).toThrow(ConfigError);
		}
		expect(() => loadConfig({ SYNCSCOPE_TRUSTED_PROXIES: 'nonsense' })).toThrow(/SYNCSCOPE_TRUSTED_PROXIES.*an IP address or CIDR range/);
	});
});

describe('the console behind a proxy', () => {
	let app: TestApp;
	beforeAll(async () => {
		app = await testApp({ trustedProxies: [] });
	});
	afterAll(async () => {
		await app?.close();
	});
	const trust = (...list: string[]) => setConfig({ ...app.config, trustedProxies: list });
	const attempt = (ip: string, email: string, password: string) => new Client(app.url, ip).fetch('/api/v1/session', { json: { email, password } });
	async function loggedIps(email: string): Promise<string[]> {
		const rows = await app.db.query<{ ip: string }>(sql`SELECT ip FROM sign_in_attempts WHERE email = ${{ String: email }} ORDER BY time`);
		return rows.map((r) => r.ip);
	}

	it('without trusted proxies, X-Forwarded-For is ignored: the address is the peer', async () => {
		trust();
		await attempt('198.51.100.30', 'xff-ignored@example.com', 'wrong');
		expect(await loggedIps('xff-ignored@example.com')).toEqual(['127.0.0.1']);
	});

	it('a client cannot dodge the per-IP budget by sending its own X-Forwarded-For', async () => {
		trust();
		// each request claims another address; the peer is the same, so the budget is shared
		const rs = await Promise.all(
			Array.from({ length: IP_BUDGET + 10 }, (_, i) => attempt(`203.0.113.${i + 1}`, `dodge-${i}@example.com`, 'wrong'))
		);
		expect(rs.filter((r) => r.status === 401).length).toBeLessThanOrEqual(IP_BUDGET);
	});

	it('with the proxy trusted, each client of the proxy has its own budget', async () => {
		trust('127.0.0.1');
		const email = 'behind-proxy@example.com';
		await createUser({ email, password: 'the real password', role: 'viewer' });
		// someone behind the proxy sprays; the proxy's own address (127.0.0.1) is not what is counted
		const rs = await Promise.all(Array.from({ length: IP_BUDGET + 10 }, (_, i) => attempt('198.51.100.31', `proxied-spray-${i}@example.com`, 'wrong')));
		expect(rs.some((r) => r.status === 429)).toBe(true);
		// another client of the same proxy, never seen before, signs in
		expect((await attempt('198.51.100.32', email, 'the real password')).status).toBe(200);
		expect(await loggedIps(email)).toEqual(['198.51.100.32']);
		// a client's own left-hand entries are not believed: the proxy appended the real address
		await attempt('6.6.6.6, 198.51.100.33', 'spoof@example.com', 'wrong');
		expect(await loggedIps('spoof@example.com')).toEqual(['198.51.100.33']);
	});
});
