/** Edges of HTTP handlers: parse a JSON body with zod, map domain errors to statuses, redirect targets, the client address. */
import { error, isHttpError, isRedirect } from '@sveltejs/kit';
import type { z } from 'zod';
import { BlockList, isIP } from 'node:net';
import { AuthError } from './auth/errors';
import { config } from './config';

/** The request body, validated; 400 with the problems listed when it does not fit. */
export async function parseJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
	let body: unknown;
	try {
		body = await request.json();
	} catch {
		error(400, 'Body must be JSON');
	}
	const r = schema.safeParse(body);
	if (!r.success) error(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
	return r.data;
}

/** Rethrow a domain error as its HTTP status (the message is safe to show); anything else as is. */
export function rethrowHttp(e: unknown): never {
	if (isHttpError(e) || isRedirect(e)) throw e;
	if (e instanceof AuthError) error(e.status, e.message);
	throw e;
}

/**
 * A safe place to go after sign-in: a path on this site, never another origin. Browsers drop tabs
 * and newlines inside URLs and read `\` as `/`, so `/\t/evil.example` means `//evil.example`: the
 * target is refused when it holds a control character or a backslash, must parse as a path of the
 * same origin, and is returned as the parser wrote it (what was checked is what is sent).
 */
export function safeRedirect(target: string | null | undefined, fallback: string): string {
	if (!target || target.length > 2048 || !target.startsWith('/') || target.startsWith('//')) return fallback;
	if (/[\u0000-\u001f\u007f-\u009f\\]/.test(target)) return fallback;
	const base = 'http://local.invalid';
	let u: URL;
	try {
		u = new URL(target, base);
	} catch {
		return fallback;
	}
	if (u.origin !== base || !u.pathname.startsWith('/') || u.pathname.startsWith('//')) return fallback;
	return u.pathname + u.search + u.hash;
}

/** adapter-node passes the Node request as `platform.req`; other hosts (vite dev) do not */
interface ClientAddressEvent {
	platform?: Readonly<App.Platform> & { req?: { socket?: { remoteAddress?: string } } };
	request: Request;
	getClientAddress(): string;
}

let trusted: { list: readonly string[]; blocks: BlockList } | null = null;
function trustedProxies(): BlockList {
	const list = config().trustedProxies;
	if (trusted?.list !== list) {
		const blocks = new BlockList();
		for (const entry of list) {
			const [address, bits] = entry.split('/');
			const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
			if (bits === undefined) blocks.addAddress(address, type);
			else blocks.addSubnet(address, Number(bits), type);
		}
		trusted = { list, blocks };
	}
	return trusted.blocks;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1; `[::1]:443` is ::1; '' if not an IP */
function plainIp(raw: string): string {
	let s = raw.trim();
	if (s.startsWith('[')) s = s.slice(1, s.indexOf(']') > 0 ? s.indexOf(']') : undefined);
	else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
	if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(s)) s = s.slice(7);
	return isIP(s) ? s : '';
}

const isTrusted = (blocks: BlockList, ip: string) => blocks.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/**
 * The client address, from a peer and its X-Forwarded-For: the peer itself unless it is a trusted
 * proxy; then the header is read from the right (each proxy appends the address it received from),
 * skipping trusted proxies, and the first address that is not one is the client. Entries left of
 * it were written by the client and are never believed. A malformed entry stops the walk at the
 * last trusted hop.
 */
export function clientAddressFrom(peer: string, forwardedFor: string | null, blocks: BlockList): string {
	let client = plainIp(peer);
	if (!client) return peer;
	if (!forwardedFor || !isTrusted(blocks, client)) return client;
	const hops = forwardedFor.split(',').reverse();
	for (const hop of hops) {
		const ip = plainIp(hop);
		if (!ip) return client;
		client = ip;
		if (!isTrusted(blocks, ip)) return client;
	}
	return client;
}

/** Who is on the other end of this request (throttling, the sign-in log): see clientAddressFrom. */
export function clientAddress(event: ClientAddressEvent): string {
	const peer = event.platform?.req?.socket?.remoteAddress;
	// without the Node request (vite dev) the host's own notion is all there is
	if (!peer) return event.getClientAddress();
	return clientAddressFrom(peer, event.request.headers.get('x-forwarded-for'), trustedProxies());
}
