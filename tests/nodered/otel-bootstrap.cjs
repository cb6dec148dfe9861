'use strict';
/**
 * The standard OpenTelemetry Node setup an operator puts in front of Node-RED:
 *
 *   node --require ./otel-bootstrap.cjs node_modules/node-red/red.js ...
 *
 * Configuration only: NodeSDK + the auto-instrumentations, traces over OTLP/HTTP protobuf. Everything
 * else comes from the standard environment variables, as in a real deployment:
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces — where to send
 *   OTEL_SERVICE_NAME (read by the env detector)                                   — service.name
 *   OTEL_BSP_SCHEDULE_DELAY (read by the BatchSpanProcessor)                        — export interval
 *   OTEL_SEMCONV_STABILITY_OPT_IN=http (read by the HTTP instrumentation)           — new HTTP conventions
 */
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { envDetector, hostDetector, processDetector } = require('@opentelemetry/resources');

// The correlation id callers send: captured on the incoming (server) and outgoing (client) spans.
const CAPTURED_REQUEST_HEADERS = ['x-correlation-id'];

const sdk = new NodeSDK({
	spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
	// No cloud detectors: they call metadata endpoints at start-up.
	resourceDetectors: [envDetector, hostDetector, processDetector],
	instrumentations: [
		getNodeAutoInstrumentations({
			// A span per file read, DNS lookup and socket: noise around the HTTP spans.
			'@opentelemetry/instrumentation-fs': { enabled: false },
			'@opentelemetry/instrumentation-dns': { enabled: false },
			'@opentelemetry/instrumentation-net': { enabled: false },
			'@opentelemetry/instrumentation-http': {
				headersToSpanAttributes: {
					server: { requestHeaders: CAPTURED_REQUEST_HEADERS },
					client: { requestHeaders: CAPTURED_REQUEST_HEADERS }
				}
			}
		})
	]
});
sdk.start();

// Flush the batched spans before the process goes (the last OTEL_BSP_SCHEDULE_DELAY of them are
// still in the batch).
let flushed;
const flush = () =>
	(flushed ??= sdk.shutdown().catch((err) => console.error('OpenTelemetry SDK shutdown failed:', err)));
for (const signal of ['SIGTERM', 'SIGINT']) {
	process.on(signal, () => flush().finally(() => process.exit(0)));
}
// Node-RED's own SIGTERM/SIGINT handler stops the flows and then calls process.exit() at once,
// which cuts the final export short: once a flush is under way, any exit waits for it.
const exit = process.exit.bind(process);
process.exit = (code) => {
	if (!flushed) return exit(code);
	flushed.finally(() => exit(code));
};
