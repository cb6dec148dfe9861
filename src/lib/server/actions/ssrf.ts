/**
 * SSRF guard for action endpoints: http(s) only, every resolved address must be public unless the
 * host:port is allow-listed (admin list or SYNCSCOPE_ACTION_ALLOWLIST). Checked when an endpoint is
 * saved and again at send, where the request connects to the checked address (no DNS rebinding).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
	['0.0.0.0', 8], // "this" network
	['10.0.0.0', 8], // private
	['100.64.0.0', 10], // carrier-grade NAT
	['127.0.0.0', 8], // loopback
	['169.254.0.0', 16], // link-local, incl. cloud metadata 169.254.169.254
	['172.16.0.0', 12], // private
	['192.0.0.0', 24], // IETF protocol assignments
	['192.168.0.0', 16], // private
	['198.18.0.0', 15], // benchmarking
	['224.0.0.0', 4], // multicast
	['240.0.0.0', 4] // reserved, broadcast
] as const)
	blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
	['::', 128], // unspecified
	['::1', 128], // loopback
	['fc00::', 7], // unique local (incl. fd00:ec2::254 metadata)
	['fe80::', 10], // link-local
	['ff00::', 8], // multicast
	['64:ff9b::', 96] // NAT64 can reach IPv4 private space
] as const)
	blocked.addSubnet(net, bits, 'ipv6');

/** True for loopback, private, link-local, unique-local, metadata and other non-public addresses. */
export function isPrivateAddress(ip: string): boolean {
	const v = isIP(ip);
	if (v === 4) return blocked.check(ip, 'ipv4');
	if (v === 6) {
		const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
		if (mapped) return blocked.check(mapped[1], 'ipv4');
		return blocked.check(ip, 'ipv6');
	}
	return true;
}

export class SsrfError extends Error {}

export interface CheckedTarget {
	url: URL;
	/** the address to connect to (already checked) */
	address: string;
	family: 4 | 6;
}

export function hostPort(url: URL): string {
	const port = url.port || (url.protocol === 'https:' ? '443' : '80');
	return `${url.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
}

/** Resolve and check a target; throws SsrfError saying why it is refused. */
export async function checkTarget(rawUrl: string, allowlist: readonly string[]): Promise<CheckedTarget> {
	let url: URL;
	try {
		url = new URL(rawUrl);
	} catch {
		throw new SsrfError('not a valid URL');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError('only http and https URLs are allowed');
	if (url.username || url.password) throw new SsrfError('credentials in the URL are not allowed');
	const host = url.hostname.replace(/^\[|\]$/g, '');
	const allowed = allowlist.includes(hostPort(url));
	let addrs: { address: string; family: number }[];
	try {
		addrs = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
	} catch (e) {
		throw new SsrfError(`cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	if (addrs.length === 0) throw new SsrfError(`${host} has no addresses`);
	if (!allowed) {
		const bad = addrs.find((a) => isPrivateAddress(a.address));
		if (bad) throw new SsrfError(`${host} resolves to ${bad.address}, a loopback/private/link-local address; an admin must allow-list ${hostPort(url)}`);
	}
	return { url, address: addrs[0].address, family: addrs[0].family === 6 ? 6 : 4 };
}
