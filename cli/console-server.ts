/**
 * Hosts the built SvelteKit console (adapter-node's handler) on PORT, with the operations endpoints:
 *   /healthz  the process is alive (200 while it runs, also while draining)
 *   /readyz   200 when the store answers a ping and the process is not draining, else 503
 *   /metrics  Prometheus text (request latency by route, action deliveries, …); bearer token
 *             SYNCSCOPE_METRICS_TOKEN when set
 * Responses of the console (pages, JSON, CSV, static assets) are compressed with brotli or gzip, as
 * the client accepts, by the `compression` middleware (bodies under 1 KiB go as they are).
 * close() drains: new requests get 503 + Connection: close, in-flight ones finish (up to
 * shutdownTimeoutMs), then the listener closes.
 */
import compression from 'compression';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../src/lib/server/config';
import { db } from '../src/lib/server/db';
import { logger, traceFromTraceparent } from '../src/lib/server/log';
import { exposition, EXPOSITION_CONTENT_TYPE, metricsAuthorized } from '../src/lib/server/metrics';
import { consoleRequestDuration, consoleInFlight } from '../src/lib/server/console-metrics';
import { loadRouteLabeler, type RouteLabeler } from './console-routes';

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const PROTOCOL_HEADER = 'x-syncscope-socket-protocol';

export const BUILD_HANDLER = fileURLToPath(new URL('../build/handler.js', import.meta.url));

const log = logger('console');

export interface ConsoleServer {
	server: Server;
	port: number;
	/** requests being served right now */
	readonly inFlight: number;
	/** drain and close; resolves when the last in-flight request has finished */
	close(): Promise<void>;
}

export interface ConsoleOptions {
	/** the request handler; the built SvelteKit app by default (tests pass their own) */
	handler?: Handler;
}

export async function startConsole(config: Config, opts: ConsoleOptions = {}): Promise<ConsoleServer> {
	let handler = opts.handler;
	let label: RouteLabeler = () => 'app';
	let ownProtocolHeader = false;
	if (!handler) {
		if (!existsSync(BUILD_HANDLER)) throw new Error('the console is not built: run `npm run build` first');
		// adapter-node reads these at import; set them before loading the handler.
		process.env.ORIGIN ??= config.origin ?? '';
		if (!process.env.ORIGIN) delete process.env.ORIGIN;
		// Without ORIGIN, adapter-node assumes https, so a plain-http console (`npm start` on
		// localhost) would refuse every form post as cross-site. The protocol then comes from the
		// socket, through a header only this server sets (any client value is overwritten).
		ownProtocolHeader = !process.env.ORIGIN && !process.env.PROTOCOL_HEADER;
		if (ownProtocolHeader) process.env.PROTOCOL_HEADER = PROTOCOL_HEADER;
		process.env.BODY_SIZE_LIMIT ??= '2M';
		handler = ((await import(BUILD_HANDLER)) as { handler: Handler }).handler;
		label = await loadRouteLabeler(dirname(BUILD_HANDLER));
	}
	const app = handler;
	// compression's types are Express's; at runtime it takes plain node:http requests and responses
	const compress = compression({ threshold: 1024 }) as unknown as Handler;

	let draining = false;
	let inFlight = 0;
	let idle: (() => void) | null = null;

	const server = createServer((req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		if (path === '/healthz') return json(res, 200, { status: draining ? 'draining' : 'ok' });
		if (path === '/readyz') return void readiness(res);
		if (path === '/metrics') return metrics(req, res, config.metricsToken);
		if (draining) {
			// a load balancer retries elsewhere; Connection: close frees the keep-alive socket
			res.setHeader('connection', 'close');
			res.setHeader('retry-after', '1');
			return json(res, 503, { message: 'shutting down' });
		}
		inFlight++;
		consoleInFlight.set(inFlight);
		const route = label(path);
		const done = consoleRequestDuration.startTimer({ method: req.method ?? 'GET', route });
		res.once('close', () => {
			const seconds = done({ status: res.statusCode });
			// an access line per request at debug; trace_id joins it to the caller's trace
			log.debug('request', {
				method: req.method,
				route,
				status: res.statusCode,
				ms: Math.round(seconds * 1000),
				...traceFromTraceparent(req.headers.traceparent as string | undefined)
			});
			inFlight--;
			consoleInFlight.set(inFlight);
			if (inFlight === 0) idle?.();
		});
		if (ownProtocolHeader) req.headers[PROTOCOL_HEADER] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
		try {
			compress(req, res, () => app(req, res, () => json(res, 404, { message: 'Not found' })));
		} catch (e) {
			log.error('request failed', { err: e, path, ...traceFromTraceparent(req.headers.traceparent as string | undefined) });
			if (!res.headersSent) json(res, 500, { message: 'Internal error' });
		}
	});

	async function readiness(res: ServerResponse): Promise<void> {
		if (draining) return json(res, 503, { status: 'draining' });
		try {
			await withTimeout(db().ping(), 2_000, 'store ping timed out');
			json(res, 200, { status: 'ready' });
		} catch (e) {
			json(res, 503, { status: 'store unavailable', reason: (e as Error).message });
		}
	}

	server.keepAliveTimeout = 5_000;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	log.info('console listening', { port, host: config.host });

	return {
		server,
		port,
		get inFlight() {
			return inFlight;
		},
		async close() {
			draining = true;
			log.info('console draining', { inFlight });
			const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r));
			const timedOut = await Promise.race([
				drained.then(() => false),
				new Promise<boolean>((r) => setTimeout(() => r(true), config.shutdownTimeoutMs).unref())
			]);
			if (timedOut) log.warn('console shutdown timeout: closing open requests', { inFlight });
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeIdleConnections();
				if (timedOut) server.closeAllConnections();
			});
			log.info('console stopped');
		}
	};
}

function metrics(req: IncomingMessage, res: ServerResponse, token: string | undefined): void {
	if (!metricsAuthorized(req.headers.authorization, token)) return json(res, 401, { message: 'metrics token required' });
	res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
	res.end(exposition());
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		p.finally(() => clearTimeout(timer)),
		new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
	]);
}

function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}
