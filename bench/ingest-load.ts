/**
 * Load generator for `npm run bench:ingest`, run as a child process so it does not share the
 * collector's event loop. Pre-encodes OTLP/HTTP protobuf requests (512 spans, ~10 attributes
 * each), then keeps `clients` requests in flight for `seconds`, timing each until its ack.
 * Talks to the parent over IPC: receives {url, clients, seconds, spansPerRequest, bodies} per round,
 * answers {spans, requests, failures, elapsedMs, latenciesMs}.
 */
import { Agent, request } from 'node:http';
import { encodeTraces, sampleTraces } from '../tests/helpers/otlp-encode';

interface Job {
	url: string;
	clients: number;
	seconds: number;
	spansPerRequest: number;
	bodies: number;
}

function post(agent: Agent, url: URL, body: Buffer): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = request(
			{ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
			(res) => {
				res.resume();
				res.on('end', () => resolve(res.statusCode ?? 0));
			}
		);
		req.on('error', reject);
		req.end(body);
	});
}

let bodies: Buffer[] | null = null;

// One message per round; the parent sends {done: true} to end the process.
process.on('message', async (job: Job & { done?: boolean }) => {
	if (job.done) process.exit(0);
	bodies ??= Array.from({ length: job.bodies }, () => encodeTraces(sampleTraces(job.spansPerRequest)));
	const url = new URL(job.url);
	const agent = new Agent({ keepAlive: true, maxSockets: job.clients });
	const latencies: number[] = [];
	let spans = 0;
	let requests = 0;
	let failures = 0;
	let next = 0;
	const started = performance.now();
	const deadline = started + job.seconds * 1000;
	await Promise.all(
		Array.from({ length: job.clients }, async () => {
			while (performance.now() < deadline) {
				const body = bodies![next++ % bodies!.length];
				const t0 = performance.now();
				const status = await post(agent, url, body).catch(() => 0);
				latencies.push(performance.now() - t0);
				requests++;
				if (status === 200) spans += job.spansPerRequest;
				else failures++;
			}
		})
	);
	const elapsedMs = performance.now() - started;
	agent.destroy();
	process.send!({ spans, requests, failures, elapsedMs, latenciesMs: latencies });
});
