/**
 * One signed POST to a checked address. Redirects are not followed (a 3xx is a failure), the
 * connection goes to the address the SSRF guard approved, and the response body is discarded.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './ssrf';

export interface SendResult {
	status: number;
	error?: string;
	durationMs: number;
}

export function send(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
	const started = Date.now();
	const lookup: LookupFunction = (_host, opts, cb) => {
		if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
		else cb(null, target.address, target.family);
	};
	const mod = target.url.protocol === 'https:' ? https : http;
	return new Promise((resolve) => {
		const req = mod.request(
			target.url,
			{ method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, timeout: timeoutMs },
			(res) => {
				res.resume();
				res.on('end', () => resolve({ status: res.statusCode ?? 0, durationMs: Date.now() - started }));
				res.on('error', (e) => resolve({ status: res.statusCode ?? 0, error: e.message, durationMs: Date.now() - started }));
			}
		);
		req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
		req.on('error', (e) => resolve({ status: 0, error: e.message, durationMs: Date.now() - started }));
		req.end(body);
	});
}
