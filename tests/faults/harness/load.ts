/**
 * Load generator for the fault tests: real spans from the OpenTelemetry SDK, exported with the real
 * OTLP/HTTP protobuf exporter (its own retry on 429/502/503/504 with Retry-After), in fixed batches.
 * A batch counts as acknowledged only when the exporter reports success (an HTTP 200). A batch whose
 * export fails (connection refused or reset while the collector is down) is exported again after a
 * pause, as a client's sending queue with retry_on_failure does, until a deadline.
 *
 * Requests pass through a loopback recording proxy, so a test sees every HTTP answer (including
 * the exporter's internal retries) and can re-point it at a restarted collector. When the collector
 * is unreachable the proxy drops the client's connection: the exporter sees what it would see
 * without the proxy, not a retryable 502.
 */
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** `n` ended spans of one service, each with a correlation ID, flow and step (the telemetry contract). */
export function makeSpans(n: number, service: string): ReadableSpan[] {
	const spans: ReadableSpan[] = [];
	const collect: SpanProcessor = {
		onStart() {},
		onEnd: (s) => void spans.push(s),
		forceFlush: async () => {},
		shutdown: async () => {}
	};
	const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [collect] });
	const tracer = provider.getTracer('syncscope-fault-tests');
	for (let i = 0; i < n; i++) {
		const span = tracer.startSpan('erp.create-sales-order', {
			attributes: {
				'integration.correlation_id': `SO-${service}-${i}`,
				'integration.flow': 'order-to-cash',
				'integration.step': 'erp.create-sales-order',
				'integration.outcome': 'success'
			}
		});
		span.end();
	}
	return spans;
}

export const spanKey = (s: ReadableSpan) => `${s.spanContext().traceId}:${s.spanContext().spanId}`;

export interface ProxyStats {
	requests: number;
	byStatus: Record<string, number>;
	/** 429/503 answers that carried Retry-After */
	withRetryAfter: number;
	/** connections dropped because the collector was unreachable */
	dropped: number;
}

export interface RecordingProxy {
	url: string;
	stats: ProxyStats;
	target(port: number): void;
	close(): Promise<void>;
}

export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
	let port = targetPort;
	const stats: ProxyStats = { requests: 0, byStatus: {}, withRetryAfter: 0, dropped: 0 };
	const sockets = new Set<Socket>();
	const server: Server = createServer((req, res) => {
		stats.requests++;
		const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
			const status = String(ur.statusCode);
			stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
			if ((status === '429' || status === '503') && ur.headers['retry-after']) stats.withRetryAfter++;
			res.writeHead(ur.statusCode ?? 502, ur.headers);
			ur.pipe(res);
		});
		up.on('error', () => {
			stats.dropped++;
			req.socket.destroy();
		});
		req.pipe(up);
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const a = server.address();
	return {
		url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
		stats,
		target: (p) => void (port = p),
		close: () =>
			new Promise<void>((r) => {
				server.close(() => r());
				for (const s of sockets) s.destroy();
			})
	};
}

export interface LoadOptions {
	url: string;
	spans: ReadableSpan[];
	batchSize: number;
	/** batches in flight at once */
	concurrency: number;
	/** stop re-sending failed batches after this time (ms since start) */
	deadlineMs: number;
	/** open loop: start this many batches per second regardless of answers (capped by concurrency) */
	batchesPerSecond?: number;
	/** pause before re-exporting a failed batch */
	resendDelayMs?: number;
	/** the exporter's per-export timeout, which also bounds its internal retries */
	exporterTimeoutMs?: number;
	/** called after each batch is acknowledged (tests use it to inject a fault mid-stream) */
	onAck?: (ackedBatches: number) => void;
}

export interface LoadResult {
	sentSpans: number;
	ackedSpans: number;
	ackedKeys: Set<string>;
	batches: number;
	ackedBatches: number;
	/** exports that ended in failure and were re-sent (or given up at the deadline) */
	failedExports: number;
	elapsedMs: number;
}

/** Send every batch until acknowledged or the deadline passes. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
	const exporter = new OTLPTraceExporter({
		url: `${o.url}/v1/traces`,
		timeoutMillis: o.exporterTimeoutMs ?? 20_000,
		concurrencyLimit: o.concurrency * 2 + 10
	});
	const batches: ReadableSpan[][] = [];
	for (let i = 0; i < o.spans.length; i += o.batchSize) batches.push(o.spans.slice(i, i + o.batchSize));
	const start = Date.now();
	const acked = new Set<number>();
	const ackedKeys = new Set<string>();
	let failedExports = 0;
	const exportOnce = (b: ReadableSpan[]) =>
		new Promise<boolean>((resolve) => exporter.export(b, (r) => resolve(r.code === ExportResultCode.SUCCESS)));

	const sendBatch = async (i: number) => {
		while (Date.now() - start < o.deadlineMs) {
			if (await exportOnce(batches[i])) {
				acked.add(i);
				for (const s of batches[i]) ackedKeys.add(spanKey(s));
				o.onAck?.(acked.size);
				return;
			}
			failedExports++;
			await new Promise((r) => setTimeout(r, o.resendDelayMs ?? 500));
		}
	};

	let next = 0;
	const inFlight = new Set<Promise<void>>();
	const interval = o.batchesPerSecond ? 1000 / o.batchesPerSecond : 0;
	while (next < batches.length) {
		if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
		const p: Promise<void> = sendBatch(next++).finally(() => inFlight.delete(p));
		inFlight.add(p);
		if (interval) await new Promise((r) => setTimeout(r, interval));
	}
	await Promise.all(inFlight);
	await exporter.shutdown();
	return {
		sentSpans: o.spans.length,
		ackedSpans: ackedKeys.size,
		ackedKeys,
		batches: batches.length,
		ackedBatches: acked.size,
		failedExports,
		elapsedMs: Date.now() - start
	};
}
