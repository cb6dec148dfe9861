/**
 * Which IP addresses a webhook may reach: public unicast only. The tables follow IANA's
 * special-purpose address registries (https://www.iana.org/assignments/iana-ipv4-special-registry,
 * https://www.iana.org/assignments/iana-ipv6-special-registry), taken whole: an entry IANA marks
 * "globally reachable" (AS112, AMT) is no webhook's home either.
 *
 * IPv6 is allow-by-exception: only global unicast 2000::/3 passes (RFC 4291 §2.4), minus its
 * special blocks, so deprecated forms that no list remembers (IPv4-compatible `::127.0.0.1`,
 * site-local fec0::/10, RFC 6145's `::ffff:0:a.b.c.d`, unassigned space) are refused by default.
 * Two IPv6 forms carry an IPv4 address that is judged as IPv4: IPv4-mapped ::ffff:0:0/96 and the
 * NAT64 well-known prefix 64:ff9b::/96 (RFC 6052), so a DNS64 network still reaches public hosts.
 */
import { isIP } from 'node:net';

type Range = [prefix: number[], bits: number, label: string];

const v4 = (s: string) => s.split('.').map(Number);

const IPV4: Range[] = [
	[v4('0.0.0.0'), 8, '"this" network (RFC 791)'],
	[v4('10.0.0.0'), 8, 'private (RFC 1918)'],
	[v4('100.64.0.0'), 10, 'shared address space / carrier-grade NAT (RFC 6598)'],
	[v4('127.0.0.0'), 8, 'loopback (RFC 1122)'],
	[v4('169.254.0.0'), 16, 'link-local, incl. cloud metadata (RFC 3927)'],
	[v4('172.16.0.0'), 12, 'private (RFC 1918)'],
	[v4('192.0.0.0'), 24, 'IETF protocol assignments (RFC 6890)'],
	[v4('192.0.2.0'), 24, 'documentation TEST-NET-1 (RFC 5737)'],
	[v4('192.31.196.0'), 24, 'AS112 (RFC 7535)'],
	[v4('192.52.193.0'), 24, 'AMT (RFC 7450)'],
	[v4('192.88.99.0'), 24, 'deprecated 6to4 relay anycast (RFC 7526)'],
	[v4('192.168.0.0'), 16, 'private (RFC 1918)'],
	[v4('192.175.48.0'), 24, 'AS112 direct delegation (RFC 7534)'],
	[v4('198.18.0.0'), 15, 'benchmarking (RFC 2544)'],
	[v4('198.51.100.0'), 24, 'documentation TEST-NET-2 (RFC 5737)'],
	[v4('203.0.113.0'), 24, 'documentation TEST-NET-3 (RFC 5737)'],
	[v4('224.0.0.0'), 4, 'multicast (RFC 5771)'],
	[v4('240.0.0.0'), 4, 'reserved, incl. broadcast 255.255.255.255 (RFC 1112, RFC 919)']
];

/** Special blocks inside global unicast 2000::/3. */
const IPV6_GLOBAL: Range[] = [
	[parse6('2001::')!, 32, 'Teredo (RFC 4380)'],
	[parse6('2001::')!, 23, 'IETF protocol assignments (RFC 2928)'],
	[parse6('2001:db8::')!, 32, 'documentation (RFC 3849)'],
	[parse6('2002::')!, 16, '6to4 (RFC 3056)'],
	[parse6('2620:4f:8000::')!, 48, 'AS112-v6 (RFC 7534)'],
	[parse6('3fff::')!, 20, 'documentation (RFC 9637)']
];

/** Outside 2000::/3 everything is refused; these only name the reason. */
const IPV6_OTHER: Range[] = [
	[parse6('::')!, 128, 'unspecified (RFC 4291)'],
	[parse6('::1')!, 128, 'loopback (RFC 4291)'],
	[parse6('::ffff:0:0:0')!, 96, 'IPv4-translated (RFC 6145)'],
	[parse6('::')!, 96, 'IPv4-compatible, deprecated (RFC 4291)'],
	[parse6('64:ff9b:1::')!, 48, 'local-use NAT64 (RFC 8215)'],
	[parse6('100::')!, 64, 'discard-only (RFC 6666)'],
	[parse6('5f00::')!, 16, 'SRv6 SIDs (RFC 9602)'],
	[parse6('fc00::')!, 7, 'unique local (RFC 4193), incl. fd00:ec2::254 metadata'],
	[parse6('fe80::')!, 10, 'link-local (RFC 4291)'],
	[parse6('fec0::')!, 10, 'site-local, deprecated (RFC 3879)'],
	[parse6('ff00::')!, 8, 'multicast (RFC 4291)']
];

const MAPPED = parse6('::ffff:0:0')!;
const NAT64 = parse6('64:ff9b::')!;
const GLOBAL_UNICAST = parse6('2000::')!;

function inRange(addr: number[], prefix: number[], bits: number): boolean {
	for (let i = 0; i < bits; i += 8) {
		const take = Math.min(8, bits - i);
		const mask = (0xff << (8 - take)) & 0xff;
		if ((addr[i / 8] & mask) !== (prefix[i / 8] & mask)) return false;
	}
	return true;
}

const first = (addr: number[], ranges: Range[]) => ranges.find(([p, bits]) => inRange(addr, p, bits))?.[2] ?? null;

/** 16 bytes of an IPv6 address (zone id dropped, dotted-quad tail allowed), or null. */
export function parse6(ip: string): number[] | null {
	let s = ip.split('%')[0].toLowerCase();
	const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
	if (dotted) {
		if (isIP(dotted[2]) !== 4) return null;
		const [a, b, c, d] = v4(dotted[2]);
		s = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
	}
	const halves = s.split('::');
	if (halves.length > 2) return null;
	const groups = (h: string) => (h === '' ? [] : h.split(':'));
	const head = groups(halves[0]);
	const tail = halves.length === 2 ? groups(halves[1]) : [];
	const fill = 8 - head.length - tail.length;
	if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
	const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
	if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
	return all.flatMap((g) => {
		const n = parseInt(g, 16);
		return [n >> 8, n & 0xff];
	});
}

/**
 * Why an address is not a public unicast address (a label naming its special-purpose block), or
 * null when a webhook may reach it.
 */
export function specialPurpose(ip: string): string | null {
	const kind = isIP(ip.split('%')[0]);
	if (kind === 4) return first(v4(ip), IPV4);
	if (kind !== 6) return 'not an IP address';
	const a = parse6(ip);
	if (!a) return 'not an IP address';
	for (const [prefix, form] of [[MAPPED, 'IPv4-mapped'], [NAT64, 'NAT64 (RFC 6052)']] as const) {
		if (inRange(a, prefix, 96)) {
			const embedded = a.slice(12).join('.');
			const why = first(a.slice(12), IPV4);
			return why ? `${form} ${embedded}: ${why}` : null;
		}
	}
	if (!inRange(a, GLOBAL_UNICAST, 3)) return first(a, IPV6_OTHER) ?? 'not global unicast (outside 2000::/3, RFC 4291)';
	return first(a, IPV6_GLOBAL);
}

/** True for loopback, private, link-local, unique-local, metadata and every other special-purpose address. */
export function isPrivateAddress(ip: string): boolean {
	return specialPurpose(ip) !== null;
}
