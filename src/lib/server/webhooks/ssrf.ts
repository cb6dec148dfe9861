/**
 * SSRF guard for every outgoing webhook (action endpoints and alert notifications): http(s) only,
 * no credentials in the URL, and every address the host resolves to must be public
 * (addresses.ts) unless its host:port is allow-listed (the admin list or
 * SYNCSCOPE_ACTION_ALLOWLIST). `checkTarget` answers at save time; `connectLookup` and
 * `peerRefusal` apply the same rule at connect time (send.ts), so a name that resolves to a public
 * address when saved and to 127.0.0.1 when sent (DNS rebinding) is refused before a byte leaves.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { specialPurpose } from './addresses';

export class SsrfError extends Error {}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface CheckedTarget {
	url: URL;
	/** the first resolved address (already checked) */
	address: string;
	family: 4 | 6;
}

/** host:port as the allow-list spells it: lower case, IPv6 without brackets. */
export function hostPort(url: URL): string {
	const port = url.port || (url.protocol === 'https:' ? '443' : '80');
	return `${bareHost(url)}:${port}`;
}

const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * Parse and check the URL itself. The WHATWG parser already turns the decimal, octal and hex
 * IPv4 spellings (`http://2130706433/`, `http://0x7f.1/`) into dotted quads.
 */
export function parseTarget(rawUrl: string): URL {
	let url: URL;
	try {
		url = new URL(rawUrl);
	} catch {
		throw new SsrfError('not a valid URL');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError('only http and https URLs are allowed');
	if (url.username || url.password) throw new SsrfError('credentials in the URL are not allowed');
	return url;
}

/** The refusal for one address of a target, or null when it may be reached. */
export function addressRefusal(url: URL, address: string, allowlist: readonly string[]): string | null {
	if (allowlist.includes(hostPort(url))) return null;
	const why = specialPurpose(address);
	return why && `${bareHost(url)} resolves to ${address}, a loopback/private/link-local or other special-purpose address (${why}); an admin must allow-list ${hostPort(url)}`;
}

async function resolveAll(host: string, resolve: Resolver): Promise<{ address: string; family: number }[]> {
	if (isIP(host)) return [{ address: host, family: isIP(host) }];
	let addrs: { address: string; family: number }[];
	try {
		addrs = await resolve(host);
	} catch (e) {
		throw new SsrfError(`cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	if (addrs.length === 0) throw new SsrfError(`${host} has no addresses`);
	return addrs;
}

/** Resolve and check a target (at save); throws SsrfError saying why it is refused. */
export async function checkTarget(rawUrl: string, allowlist: readonly string[], resolve: Resolver = systemResolver): Promise<CheckedTarget> {
	const url = parseTarget(rawUrl);
	const addrs = await resolveAll(bareHost(url), resolve);
	for (const a of addrs) {
		const why = addressRefusal(url, a.address, allowlist);
		if (why) throw new SsrfError(why);
	}
	return { url, address: addrs[0].address, family: addrs[0].family === 6 ? 6 : 4 };
}

/**
 * A `lookup` for http.request: resolves when the socket connects and hands the socket only
 * addresses that pass; one bad address refuses the whole name (as at save), so a round-robin
 * record cannot smuggle an internal address in.
 */
export function connectLookup(url: URL, allowlist: readonly string[], resolve: Resolver = systemResolver): LookupFunction {
	return ((host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
		resolveAll(host, resolve).then(
			(addrs) => {
				for (const a of addrs) {
					const why = addressRefusal(url, a.address, allowlist);
					if (why) return cb(new SsrfError(why));
				}
				if (opts.all) cb(null, addrs);
				else cb(null, addrs[0].address, addrs[0].family);
			},
			(e) => cb(e)
		);
	}) as unknown as LookupFunction;
}

/** The last check, on the connected socket's peer (covers IP-literal hosts, which skip lookup). */
export function peerRefusal(url: URL, remoteAddress: string | undefined, allowlist: readonly string[]): string | null {
	if (!remoteAddress) return `no peer address for ${bareHost(url)}`;
	return addressRefusal(url, remoteAddress, allowlist);
}
