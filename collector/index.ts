/**
 * Collector wiring and lifecycle: OTLP/HTTP and OTLP/gRPC receivers in front of one writer.
 * Like the OpenTelemetry Collector's otlpreceiver: transports in http/ and grpc/, OTLP → rows in
 * signals/, batching and back-pressure in writer/, error mapping in errors.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/lib/server/config';
import type { Db } from '../src/lib/server/db';
import { IngestTokens } from './auth/ingest-tokens';
import { bindGrpc, createGrpcServer } from './grpc/server';
import { createHttpServer } from './http/server';
import type { IngestContext } from './ingest';
import { Interpreter } from './interpret';
import { ingestLimits } from './signals/limits';
import { followInterpretation, loadInterpretation } from '../src/lib/server/interpret/versions';
import { Metrics } from './metrics';
import { Writer } from './writer';

export interface Collector {
	httpPort: number;
	grpcPort: number;
	/** stop accepting (503), flush what was accepted, close listeners */
	shutdown(): Promise<void>;
	/** the collector's counters as Prometheus text (also GET /metrics on the OTLP/HTTP port) */
	metrics(): string;
}

export async function startCollector(opts: { config: Config; db: Db; log?: (msg: string) => void }): Promise<Collector> {
	const { config, db } = opts;
	const log = opts.log ?? ((m: string) => console.warn(m));
	const metrics = new Metrics();
	const writer = new Writer(db, config, metrics, log);
	// the rule set: the newest saved version (else config/interpretation.yaml), the catalogue, the aliases
	await loadInterpretation(db);
	const unfollow = followInterpretation(db, (msg, v) => log(`${msg} (version ${v})`));
	const ctx: IngestContext = { writer, metrics, retryAfterSeconds: config.retryAfterSeconds, stopping: false, interpreter: new Interpreter(),
		limits: (signal) =>
			ingestLimits({
				retentionDays: signal === 'traces' ? config.ttlTracesDays : config.ttlLogsDays,
				futureMinutes: config.ingestMaxFutureMinutes,
				maxAttributeBytes: config.maxAttributeBytes,
				maxLogBodyBytes: config.maxLogBodyBytes
			})
	};
	const tokens = config.ingestAuth ? new IngestTokens(db) : null;
	const deps = { ctx, maxBodyBytes: config.maxBodyBytes, tokens, metricsToken: config.metricsToken, log };

	const http = createHttpServer(deps);
	await new Promise<void>((resolve, reject) => {
		http.once('error', reject);
		http.listen(config.otlpHttpPort, config.otlpHost, () => {
			http.off('error', reject);
			resolve();
		});
	});
	const grpc = createGrpcServer(deps);
	let grpcPort: number;
	try {
		grpcPort = await bindGrpc(grpc, config.otlpHost, config.otlpGrpcPort);
	} catch (e) {
		http.close();
		throw e;
	}

	let stopped: Promise<void> | null = null;
	return {
		httpPort: (http.address() as AddressInfo).port,
		grpcPort,
		metrics: () => metrics.render(),
		shutdown() {
			stopped ??= (async () => {
				ctx.stopping = true;
				unfollow();
				// Requests already decoded are in the writer: insert them, answer them, then close.
				await writer.flush();
				writer.close();
				await Promise.all([
					new Promise<void>((r) => {
						http.close(() => r());
						http.closeIdleConnections();
					}),
					new Promise<void>((r) => grpc.tryShutdown(() => r()))
				]);
			})();
			return stopped;
		}
	};
}
