/**
 * A test webhook receiver, as the middleware would run one: verifies the Standard Webhooks signature,
 * dedupes by Idempotency-Key (a second delivery is acknowledged, not processed again) and calls
 * onMessage once per new message (where a test emits the middleware's success telemetry).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../src/lib/server/webhooks/signing';

export interface Received {
	headers: Record<string, string>;
	body: { type: string; data: Record<string, string> };
}

export interface Receiver {
	url: string;
	hostPort: string;
	/** every request that carried a valid signature */
	requests: Received[];
	/** processed once per Idempotency-Key */
	processed: Received[];
	badSignatures: number;
	/** the status the next requests get (default 200) */
	statuses: number[];
	/** awaited before each reply (after the request is recorded): lets a test change the world between attempts */
	beforeReply?: () => Promise<void>;
	close(): Promise<void>;
}

export async function startReceiver(secret: () => string, onMessage?: (r: Received) => Promise<void> | void): Promise<Receiver> {
	const seen = new Set<string>();
	const r: Omit<Receiver, 'url' | 'hostPort' | 'close'> = { requests: [], processed: [], badSignatures: 0, statuses: [] };
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			const body = Buffer.concat(chunks).toString('utf8');
			const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
			if (!verify(secret(), headers, body)) {
				r.badSignatures++;
				res.writeHead(401).end();
				return;
			}
			const status = r.statuses.shift() ?? 200;
			const rec: Received = { headers, body: JSON.parse(body) };
			r.requests.push(rec);
			if (status >= 200 && status < 300) {
				const key = headers['idempotency-key'];
				if (!seen.has(key)) {
					seen.add(key);
					r.processed.push(rec);
					await onMessage?.(rec);
				}
			}
			await r.beforeReply?.();
			res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://169.254.169.254/' } : {}).end();
		});
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	const port = (server.address() as AddressInfo).port;
	return Object.assign(r as Receiver, {
		url: `http://127.0.0.1:${port}/syncscope`,
		hostPort: `127.0.0.1:${port}`,
		close: () => new Promise<void>((ok) => server.close(() => ok()))
	});
}
