/**
 * One POST through the SSRF guard at connect time: a fresh socket per request (no keep-alive pool,
 * so an allow-list change or a new DNS answer is never bypassed by a reused connection), the name
 * resolved and every address checked inside the socket's own lookup, the connected peer checked
 * again before the request is written, redirects not followed (a 3xx is the answer), one deadline
 * for the whole exchange, and the response body discarded.
 *
 * Why not `request-filtering-agent` (the usual npm package for this, which hooks the same
 * lookup): its rule is ipaddr.js's `range() === 'unicast'`, which lets IPv4-compatible
 * `::127.0.0.1` and unassigned IPv6 space through, and its allow-list is per IP, where ours is per
 * host:port. Doing the same hook here keeps one address rule (addresses.ts) for save and connect.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { addressRefusal, connectLookup, peerRefusal, SsrfError, systemResolver, type Resolver } from './ssrf';

export interface PostResult {
	status: number;
	/** set when no 2xx-5xx answer came: the network error, the timeout, or the SSRF refusal */
	error?: string;
	/** the SSRF guard refused the target: nothing was sent */
	refused?: boolean;
	durationMs: number;
}

export interface PostRequest {
	url: URL;
	headers: Record<string, string>;
	body: string;
	timeoutMs: number;
	allowlist: readonly string[];
	resolve?: Resolver;
}

export function post(r: PostRequest): Promise<PostResult> {
	const started = Date.now();
	const done = (x: Omit<PostResult, 'durationMs'>): PostResult => ({ ...x, durationMs: Date.now() - started });
	const host = r.url.hostname.replace(/^\[|\]$/g, '');
	// an IP literal never reaches the lookup: refuse it here, before a socket opens
	const literal = isIP(host) ? addressRefusal(r.url, host, r.allowlist) : null;
	if (literal) return Promise.resolve(done({ status: 0, error: literal, refused: true }));
	const mod = r.url.protocol === 'https:' ? https : http;
	return new Promise((resolve) => {
		let settled = false;
		const finish = (x: Omit<PostResult, 'durationMs'>) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			resolve(done(x));
		};
		const req = mod.request(r.url, {
			method: 'POST',
			headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) },
			agent: false,
			lookup: connectLookup(r.url, r.allowlist, r.resolve ?? systemResolver)
		});
		const timer = setTimeout(() => req.destroy(new Error(`timed out after ${r.timeoutMs} ms`)), r.timeoutMs);
		req.on('socket', (socket) => {
			// nothing is written until the peer passed: headers and body go out with end()
			const go = () => {
				const why = peerRefusal(r.url, socket.remoteAddress, r.allowlist);
				if (why) req.destroy(new SsrfError(why));
				else req.end(r.body);
			};
			if (socket.connecting) socket.once('connect', go);
			else go();
		});
		req.on('response', (res) => {
			res.resume();
			res.on('end', () => finish({ status: res.statusCode ?? 0 }));
			res.on('error', (e) => finish({ status: res.statusCode ?? 0, error: e.message }));
		});
		req.on('error', (e) => finish({ status: 0, error: e.message, refused: e instanceof SsrfError }));
	});
}
