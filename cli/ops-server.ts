/**
 * The collector process's operations listener (like the OpenTelemetry Collector's health_check
 * extension on :13133): /healthz (alive), /readyz (store reachable and not draining), /metrics
 * (the collector's counters plus the process-wide registry). Kept off the OTLP port so a load
 * balancer's probes never compete with ingest for the body-size and back-pressure limits.
 */
import { createServer, type Server } from 'node:http';
import type { Db } from '../src/lib/server/db';
import { exposition, EXPOSITION_CONTENT_TYPE, metricsAuthorized } from '../src/lib/server/metrics';

export interface OpsServer {
	server: Server;
	port: number;
	close(): Promise<void>;
}

export interface OpsOptions {
	host: string;
	port: number;
	db: Db;
	draining(): boolean;
	/** extra Prometheus text (the collector's own counters) */
	metrics?: () => string;
	/** SYNCSCOPE_METRICS_TOKEN: /metrics needs `Authorization: Bearer <token>` */
	metricsToken?: string;
}

export async function startOpsServer(o: OpsOptions): Promise<OpsServer> {
	const server = createServer((req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		const send = (status: number, body: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		if (path === '/healthz') return send(200, { status: o.draining() ? 'draining' : 'ok' });
		if (path === '/readyz') {
			if (o.draining()) return send(503, { status: 'draining' });
			const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('store ping timed out')), 2_000).unref());
			Promise.race([o.db.ping(), timer]).then(
				() => send(200, { status: 'ready' }),
				(e: Error) => send(503, { status: 'store unavailable', reason: e.message })
			);
			return;
		}
		if (path === '/metrics') {
			if (!metricsAuthorized(req.headers.authorization, o.metricsToken)) return send(401, { message: 'metrics token required' });
			res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
			return void res.end((o.metrics?.() ?? '') + exposition());
		}
		send(404, { message: 'Not found' });
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(o.port, o.host, () => resolve());
	});
	const a = server.address();
	return {
		server,
		port: typeof a === 'object' && a ? a.port : o.port,
		close: () =>
			new Promise<void>((r) => {
				server.close(() => r());
				server.closeAllConnections();
			})
	};
}
