/**
 * OTLP/HTTP: POST /v1/traces and /v1/logs (protobuf or JSON, optionally gzip), GET /metrics.
 * Failures answer with a google.rpc.Status in the request's encoding and the status codes of
 * https://opentelemetry.io/docs/specs/otlp/#failures-1 (Retry-After on 429/503).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IngestTokens } from '../auth/ingest-tokens';
import { CollectorError, toCollectorError, UnsupportedMediaTypeError } from '../errors';
import { ingest, type IngestContext } from '../ingest';
import type { SignalName } from '../metrics';
import { metricsAuthorized } from '../../src/lib/server/metrics';
import { statusBody, type Encoding } from '../signals/response';
import { checkContentEncoding, encodingOf, gunzipLimited, readBody } from './body';

const PATHS: Record<string, SignalName> = { '/v1/traces': 'traces', '/v1/logs': 'logs' };
const CONTENT_TYPES: Record<Encoding, string> = { proto: 'application/x-protobuf', json: 'application/json' };

export interface HttpDeps {
	ctx: IngestContext;
	maxBodyBytes: number;
	tokens: IngestTokens | null;
	/** with a metrics token set, GET /metrics needs it here too */
	metricsToken?: string;
	log: (msg: string) => void;
}

export function bearer(header: string | undefined): string | undefined {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
	return m?.[1];
}

export function createHttpServer(deps: HttpDeps): Server {
	const server = createServer((req, res) => void handle(deps, req, res));
	// Export requests are short; keep-alive lets SDK exporters reuse one connection.
	server.keepAliveTimeout = 30_000;
	return server;
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
	const path = (req.url ?? '/').split('?')[0];
	if (path === '/metrics' && req.method === 'GET') {
		if (!metricsAuthorized(req.headers.authorization, deps.metricsToken)) return plain(res, 401, 'metrics token required');
		res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
		res.end(deps.ctx.metrics.render());
		return;
	}
	const signal = PATHS[path];
	if (!signal) return plain(res, 404, 'not found: OTLP/HTTP serves POST /v1/traces and /v1/logs');
	if (req.method !== 'POST') {
		res.setHeader('allow', 'POST');
		return plain(res, 405, 'method not allowed');
	}
	const enc = encodingOf(req.headers['content-type']);
	try {
		if (!enc) throw new UnsupportedMediaTypeError(`unsupported Content-Type ${req.headers['content-type'] ?? '(none)'}; use application/x-protobuf or application/json`);
		if (deps.tokens) await deps.tokens.check(bearer(req.headers.authorization));
		const encoding = checkContentEncoding(req.headers['content-encoding']);
		let body = await readBody(req, deps.maxBodyBytes);
		if (encoding === 'gzip') body = await gunzipLimited(body, deps.maxBodyBytes);
		const out = await ingest(deps.ctx, signal, enc, body);
		deps.ctx.metrics.request('http', signal, 200);
		res.writeHead(200, { 'content-type': CONTENT_TYPES[enc], 'content-length': out.length });
		res.end(out);
	} catch (e) {
		const err = toCollectorError(e, deps.ctx.retryAfterSeconds);
		if (!(e instanceof CollectorError)) deps.log(`collector: ${req.method} ${path} failed: ${(e as Error)?.stack ?? e}`);
		deps.ctx.metrics.request('http', signal, err.httpStatus);
		const answerEnc = enc ?? 'json';
		const out = statusBody(answerEnc, err.grpcCode, err.message, err.retryAfterSeconds);
		const headers: Record<string, string | number> = { 'content-type': CONTENT_TYPES[answerEnc], 'content-length': out.length };
		if (err.retryAfterSeconds !== undefined) headers['retry-after'] = err.retryAfterSeconds;
		// The rest of an unread body is not worth reading: close instead of draining it.
		if (!req.complete) headers.connection = 'close';
		res.writeHead(err.httpStatus, headers);
		res.end(out);
	}
}

function plain(res: ServerResponse, status: number, text: string): void {
	res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
	res.end(text + '\n');
}
