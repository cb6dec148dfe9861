/**
 * The webhook SSRF guard's address rule (webhooks/addresses.ts) and the URL forms that reach it:
 * tables over IANA's special-purpose blocks and the spellings that slipped through before (issue 14
 * finding 10), and properties over random addresses inside and outside every block.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse6, specialPurpose } from '../../src/lib/server/webhooks/addresses';
import { checkTarget } from '../../src/lib/server/webhooks/ssrf';

/** address → a word its refusal must name */
const refused: [string, RegExp][] = [
	// the forms the attack saved as endpoints
	['::127.0.0.1', /IPv4-compatible/],
	['2002:7f00:1::', /6to4/],
	['64:ff9b:1::7f00:1', /local-use NAT64/],
	['::ffff:0:7f00:1', /IPv4-translated/],
	['fec0::1', /site-local/],
	// IPv4-mapped and NAT64 well-known prefix: judged by the IPv4 inside
	['::ffff:127.0.0.1', /IPv4-mapped 127.0.0.1: loopback/],
	['::ffff:7f00:1', /IPv4-mapped 127.0.0.1/],
	['::ffff:169.254.169.254', /IPv4-mapped 169.254.169.254: link-local/],
	['64:ff9b::10.0.0.1', /NAT64 .*10.0.0.1: private/],
	['64:ff9b::7f00:1', /NAT64 .*loopback/],
	// 6to4 and Teredo, whatever they embed
	['2002:c0a8:101::1', /6to4/],
	['2002:808:808::1', /6to4/],
	['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
	['2001::1', /Teredo/],
	['2001:2::1', /IETF protocol assignments/],
	// unique local, link-local, site-local, multicast, loopback, unspecified
	['fc00::1', /unique local/],
	['fd00:ec2::254', /unique local/],
	['fdff:ffff::1', /unique local/],
	['fe80::1', /link-local/],
	['febf:ffff::1', /link-local/],
	['fe80::1%eth0', /link-local/],
	['fec0::1', /site-local/],
	['feff::1', /site-local/],
	['ff02::1', /multicast/],
	['ff05::1:3', /multicast/],
	['::1', /loopback/],
	['::', /unspecified/],
	['100::1', /discard-only/],
	['5f00::1', /SRv6/],
	['4000::1', /outside 2000::\/3/],
	['1::1', /outside 2000::\/3/],
	// documentation
	['2001:db8::1', /documentation/],
	['3fff:fff::1', /documentation/],
	['192.0.2.10', /documentation/],
	['198.51.100.7', /documentation/],
	['203.0.113.200', /documentation/],
	// IPv4 special-purpose
	['0.0.0.0', /"this" network/],
	['0.1.2.3', /"this" network/],
	['10.255.0.1', /private/],
	['100.64.0.1', /carrier-grade NAT/],
	['100.127.255.254', /carrier-grade NAT/],
	['127.0.0.1', /loopback/],
	['127.255.255.254', /loopback/],
	['169.254.169.254', /link-local/],
	['172.16.0.1', /private/],
	['172.31.255.255', /private/],
	['192.0.0.8', /IETF protocol/],
	['192.31.196.1', /AS112/],
	['192.52.193.1', /AMT/],
	['192.88.99.1', /6to4 relay/],
	['192.168.1.1', /private/],
	['192.175.48.1', /AS112/],
	['198.18.0.1', /benchmarking/],
	['198.19.255.255', /benchmarking/],
	['224.0.0.1', /multicast/],
	['239.255.255.250', /multicast/],
	['240.0.0.1', /reserved/],
	['255.255.255.255', /broadcast/],
	['2620:4f:8000::1', /AS112/]
];

const publicAddresses = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '198.20.0.1', '2606:4700::1111', '2001:4860:4860::8888', '2001:200::1', '2a00:1450:4001::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '64:ff9b::8.8.4.4'];

describe('webhook address rule: special-purpose blocks refused', () => {
	for (const [ip, why] of refused) {
		it(`refuses ${ip}`, () => {
			expect(specialPurpose(ip)).toMatch(why);
		});
	}
	for (const ip of publicAddresses) {
		it(`accepts public ${ip}`, () => {
			expect(specialPurpose(ip)).toBeNull();
		});
	}
	it('refuses what is not an address', () => {
		expect(specialPurpose('localhost')).toBe('not an IP address');
		expect(specialPurpose('1::2::3')).toBe('not an IP address');
	});
});

describe('webhook URLs: every spelling of a special address is refused at save', () => {
	// the WHATWG URL parser turns decimal/octal/hex IPv4 into dotted quads; the guard sees those
	const urls = [
		'http://2130706433/',
		'http://0x7f.1/',
		'http://0x7f000001/',
		'http://0177.0.0.1/',
		'http://127.1/',
		'http://017700000001/',
		'http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/',
		'http://[::127.0.0.1]/',
		'http://[::7f00:1]:8080/',
		'http://[2002:7f00:1::]/',
		'http://[64:ff9b:1::7f00:1]/',
		'http://[::ffff:0:7f00:1]/',
		'http://[::ffff:127.0.0.1]/',
		'http://[0:0:0:0:0:ffff:7f00:1]/',
		'http://[fec0::1]/',
		'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
		'http://[fd12:3456::1]/',
		'http://[fe80::1]/',
		'http://[ff02::1]/',
		'https://[2001:db8::1]/',
		'https://192.0.2.1/',
		'http://0/'
	];
	for (const url of urls) {
		it(`refuses ${url}`, async () => {
			await expect(checkTarget(url, [])).rejects.toThrow(/loopback\/private\/link-local or other special-purpose/);
		});
	}
	it('an allow-listed host:port passes, on that port only', async () => {
		await expect(checkTarget('http://[::1]:9000/', ['::1:9000'])).resolves.toMatchObject({ address: '::1' });
		await expect(checkTarget('http://0x7f.1:9000/', ['127.0.0.1:9000'])).resolves.toMatchObject({ address: '127.0.0.1' });
		await expect(checkTarget('http://0x7f.1:9001/', ['127.0.0.1:9000'])).rejects.toThrow(/allow-list 127.0.0.1:9001/);
	});
	it('a name is refused when any of its addresses is special (round-robin smuggling)', async () => {
		const resolve = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
		await expect(checkTarget('https://hooks.example.test/x', [], resolve)).rejects.toThrow(/hooks.example.test resolves to 10.0.0.7/);
	});
});

// ── properties ──

const v4Blocks: [string, number][] = [
	['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
	['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
	['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]
];
const v4ToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const intToV4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const inV4Block = (n: number) => v4Blocks.some(([p, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4ToInt(p) / 2 ** (32 - bits)));
const v4InBlock = fc
	.tuple(fc.constantFrom(...v4Blocks), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
	.map(([[p, bits], r]) => intToV4(v4ToInt(p) + (r % 2 ** (32 - bits))));
const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !inV4Block(n)).map(intToV4);

const hex = (bytes: number[]) => Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':');
const v6Blocks: [string, number][] = [
	['::', 3], ['4000::', 2], ['8000::', 1], // everything outside 2000::/3 …
	['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['2620:4f:8000::', 48], ['3fff::', 20] // … and the special blocks inside it
];
/** random 16 bytes under a prefix, avoiding the two prefixes judged by their IPv4 (checked apart) */
const v6InBlock = fc
	.tuple(fc.constantFrom(...v6Blocks), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }))
	.map(([[p, bits], rnd]) => {
		const pre = parse6(p)!;
		return hex(pre.map((b, i) => {
			const keep = Math.max(0, Math.min(8, bits - 8 * i));
			const mask = (0xff << (8 - keep)) & 0xff;
			return (b & mask) | (rnd[i] & ~mask & 0xff);
		}));
	})
	.filter((ip) => !/^(0:){5}ffff:/.test(hex(parse6(ip)!)) && !hex(parse6(ip)!).startsWith('64:ff9b:0:0:0:0:'));

describe('webhook address rule: properties', () => {
	it('every address inside an IPv4 special-purpose block is refused; every other IPv4 address is accepted', () => {
		fc.assert(fc.property(v4InBlock, (ip) => specialPurpose(ip) !== null), { numRuns: 2000 });
		fc.assert(fc.property(publicV4, (ip) => specialPurpose(ip) === null), { numRuns: 2000 });
	});

	it('IPv4-mapped and NAT64 forms get the verdict of the IPv4 address inside, in every spelling', () => {
		fc.assert(
			fc.property(fc.oneof(v4InBlock, publicV4), (ip) => {
				const verdict = specialPurpose(ip) === null;
				const [a, b, c, d] = ip.split('.').map(Number);
				const tail = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
				for (const form of [`::ffff:${ip}`, `::ffff:${tail}`, `0:0:0:0:0:ffff:${tail}`, `64:ff9b::${ip}`, `64:ff9b::${tail}`])
					if ((specialPurpose(form) === null) !== verdict) return false;
				return true;
			}),
			{ numRuns: 2000 }
		);
	});

	it('every IPv6 address outside global unicast or in one of its special blocks is refused', () => {
		fc.assert(fc.property(v6InBlock, (ip) => specialPurpose(ip) !== null), { numRuns: 3000 });
	});

	it('spelling does not change the verdict: any IPv6 address and its canonical form (WHATWG URL) agree', () => {
		fc.assert(
			fc.property(fc.ipV6(), (ip) => {
				const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
				return JSON.stringify(parse6(ip)) === JSON.stringify(parse6(canonical)) && specialPurpose(ip) === specialPurpose(canonical);
			}),
			{ numRuns: 3000 }
		);
	});
});
