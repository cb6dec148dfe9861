/**
 * OTLP/gRPC: opentelemetry.proto.collector.{trace,logs}.v1.{Trace,Logs}Service/Export with raw
 * Buffer (de)serializers, so requests go through the same hand-written decoders as OTLP/HTTP.
 * Failures map to gRPC codes per https://opentelemetry.io/docs/specs/otlp/#failures; retryable ones
 * carry google.rpc.RetryInfo in grpc-status-details-bin
 * (https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-throttling).
 */
import * as grpc from '@grpc/grpc-js';
import type { IngestTokens } from '../auth/ingest-tokens';
import { CollectorError, toCollectorError } from '../errors';
import { ingest, type IngestContext } from '../ingest';
import type { SignalName } from '../metrics';
import { statusProto } from '../signals/response';
import { bearer } from '../http/server';

const identity = (b: Buffer): Buffer => b;

function exportService(path: string): grpc.ServiceDefinition {
	return {
		Export: {
			path,
			requestStream: false,
			responseStream: false,
			requestSerialize: identity,
			requestDeserialize: identity,
			responseSerialize: identity,
			responseDeserialize: identity,
			originalName: 'export'
		}
	};
}

const SERVICES: [SignalName, string][] = [
	['traces', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
	['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export']
];

export interface GrpcDeps {
	ctx: IngestContext;
	maxBodyBytes: number;
	tokens: IngestTokens | null;
	log: (msg: string) => void;
}

export function createGrpcServer(deps: GrpcDeps): grpc.Server {
	const server = new grpc.Server({
		'grpc.max_receive_message_length': deps.maxBodyBytes,
		'grpc.max_send_message_length': 4 * 1024 * 1024
	});
	for (const [signal, path] of SERVICES) {
		server.addService(exportService(path), {
			Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
				void handle(deps, signal, call, callback)
		});
	}
	return server;
}

async function handle(
	deps: GrpcDeps,
	signal: SignalName,
	call: grpc.ServerUnaryCall<Buffer, Buffer>,
	callback: grpc.sendUnaryData<Buffer>
): Promise<void> {
	try {
		if (deps.tokens) await deps.tokens.check(bearer(String(call.metadata.get('authorization')[0] ?? '')));
		const out = await ingest(deps.ctx, signal, 'proto', call.request);
		deps.ctx.metrics.request('grpc', signal, 'OK');
		callback(null, out);
	} catch (e) {
		const err = toCollectorError(e, deps.ctx.retryAfterSeconds);
		if (!(e instanceof CollectorError)) deps.log(`collector: gRPC ${signal} export failed: ${(e as Error)?.stack ?? e}`);
		deps.ctx.metrics.request('grpc', signal, err.grpcCode);
		const metadata = new grpc.Metadata();
		if (err.retryAfterSeconds !== undefined) {
			metadata.set('grpc-status-details-bin', statusProto(err.grpcCode, err.message, err.retryAfterSeconds));
		}
		callback({ name: err.name, message: err.message, code: err.grpcCode, details: err.message, metadata });
	}
}

/** Bind on host:port (0 = any free port) and resolve with the bound port. */
export function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
	});
}
