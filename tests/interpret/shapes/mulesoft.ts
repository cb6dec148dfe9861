/**
 * Mule 4 order intake, as the runtime's native OpenTelemetry tracing (4.6+) and the HTTP Connector
 * (1.8+) emit it. The app `order-intake-api` has one flow:
 *
 *   <flow name="order-intake">
 *     <http:listener path="/orders" method="POST"/>          ← flow span renamed "POST /orders", SERVER
 *     <logger message="order received"/>                     ← mule:logger        order-intake/processors/0
 *     <ee:transform/>                                        ← ee:transform       order-intake/processors/1
 *     <http:request method="POST" url="http://erp…/api/sales-orders"/>  ← "POST", CLIENT  …/processors/2
 *   </flow>
 *
 * The web shop calls it with `X-Correlation-ID: <order id>`, so every span's `correlation.id` is
 * the order ID (Mule takes the source's correlation ID before generating one). The ERP answers
 * 201, 422 or 503, or is unreachable (HTTP:CONNECTIVITY, no status code).
 *
 * What each span carries follows mulesoft/mule (ComponentExecutionInitialSpanInfo,
 * CoreEventEnrichedInitialSpanInfo, OpenTelemetrySpanExporter, OpenTelemetrySpanExporterUtils,
 * OpenTelemetryInstrumentationConstants: scope `mule` 1.0.0) and mulesoft/mule-http-connector
 * (HttpListenerCurrentSpanCustomizer, HttpRequestCurrentSpanCustomizer, HttpSpanUtils,
 * HttpRequester, HttpError, HttpErrorMessageGenerator). Mule exports every attribute as a string.
 * Assumptions where the sources say nothing: the resource's service.name is the artifact id; a 422
 * (no HttpError of its own) fails with the untyped ResponseValidatorException, shown here as
 * MULE:UNKNOWN; the listener answers a failed flow with 500.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordingProvider, spread, T0 } from './to-items';

/** A planned ERP answer: an HTTP status, or 0 for "not reachable". */
export type MuleErpAnswer = 201 | 422 | 503 | 0;

export interface MuleOrder {
	id: string;
	status: MuleErpAnswer;
	traceId: string;
	/** The Mule error type the HTTP Request raises (none on 201). */
	errorType?: string;
}

export const MULE_APP = 'order-intake-api';
export const MULE_FLOW = 'order-intake';
export const MULE_ERP_HOST = 'erp.example.internal';
const ERP_URL = `http://${MULE_ERP_HOST}:8080/api/sales-orders`;

/** HttpError for the statuses planned here (HttpError.getErrorByCode), and the connectivity failure. */
const ERROR_TYPE: Record<number, string> = { 422: 'MULE:UNKNOWN', 503: 'HTTP:SERVICE_UNAVAILABLE', 0: 'HTTP:CONNECTIVITY' };

/** HttpErrorMessageGenerator.createFrom(request, status) / (request, exception message). */
function errorMessage(status: MuleErpAnswer): string {
	const base = `HTTP POST on resource '${ERP_URL}' failed`;
	if (status === 503) return `${base}: service unavailable (503).`;
	if (status === 0) return `${base}: Connection refused.`;
	return `${base} with status code ${status}.`;
}

/** 20 orders: 13 × 201, 3 × 422, 2 × 503, 2 × ERP unreachable. */
export const MULE_MIX: [MuleErpAnswer, number][] = [
	[201, 13],
	[422, 3],
	[503, 2],
	[0, 2]
];

export function emitMule(mix: [MuleErpAnswer, number][] = MULE_MIX): { spans: ReadableSpan[]; orders: MuleOrder[] } {
	const { provider, exporter } = recordingProvider({ 'service.name': MULE_APP });
	const tracer = provider.getTracer('mule', '1.0.0');
	const orders: MuleOrder[] = [];
	spread(mix).forEach((status, i) => {
		const id = `SO-${2001 + i}`;
		const t = T0 + i * 1000;
		const thread = `[MuleRuntime].uber.0${i % 8}: [${MULE_APP}].${MULE_FLOW}.CPU_LITE @5f0c4a1b`;
		const common = (location: string): Attributes => ({
			location,
			'correlation.id': id,
			'artifact.id': MULE_APP,
			'artifact.type': 'app',
			'thread.start.id': String(40 + (i % 8)),
			'thread.start.name': thread
		});
		const failed = status !== 201;
		const errorType = ERROR_TYPE[status];

		// The flow span: named and typed by the HTTP Listener.
		const flow = tracer.startSpan(
			'POST /orders',
			{
				kind: SpanKind.SERVER,
				startTime: t,
				attributes: {
					...common(MULE_FLOW),
					'http.method': 'POST',
					'http.route': '/orders',
					'http.target': '/orders',
					'http.scheme': 'http',
					'http.flavor': '1.1',
					'net.host.name': '0.0.0.0',
					'net.host.port': '8081',
					'http.user_agent': 'webshop/4.2'
				}
			},
			ROOT_CONTEXT
		);
		const inFlow = trace.setSpan(ROOT_CONTEXT, flow);

		const logger = tracer.startSpan('mule:logger', { kind: SpanKind.INTERNAL, startTime: t + 1, attributes: common(`${MULE_FLOW}/processors/0`) }, inFlow);
		logger.setAttribute('thread.end.name', thread);
		logger.end(t + 2);
		const transform = tracer.startSpan('ee:transform', { kind: SpanKind.INTERNAL, startTime: t + 2, attributes: common(`${MULE_FLOW}/processors/1`) }, inFlow);
		transform.setAttribute('thread.end.name', thread);
		transform.end(t + 5);

		// The HTTP Request operation: renamed to the method, CLIENT, status code and status override.
		const request = tracer.startSpan(
			'POST',
			{
				kind: SpanKind.CLIENT,
				startTime: t + 5,
				attributes: {
					...common(`${MULE_FLOW}/processors/2`),
					'http.method': 'POST',
					'http.flavor': '1.1',
					'http.url': ERP_URL,
					'net.peer.name': MULE_ERP_HOST,
					'net.peer.port': '8080'
				}
			},
			inFlow
		);
		if (status !== 0) request.setAttribute('http.status_code', String(status));
		request.setAttribute('thread.end.name', thread);
		if (failed) {
			request.setStatus({ code: SpanStatusCode.ERROR, message: 'Exceptions have been recorded.' });
			request.addEvent(
				'exception',
				{
					'exception.type': errorType,
					'exception.message': errorMessage(status),
					'exception.stacktrace': `${MULE_FLOW}/processors/2 @ ${MULE_APP}:${MULE_FLOW}.xml:14 (Request)`,
					'exception.escaped': true
				},
				t + 80
			);
		}
		request.end(t + 80);

		flow.setAttribute('http.status_code', failed ? '500' : '201');
		flow.setAttribute('thread.end.name', thread);
		if (failed) {
			flow.setStatus({ code: SpanStatusCode.ERROR, message: 'Exceptions have been recorded.' });
			flow.addEvent(
				'exception',
				{
					'exception.type': errorType,
					'exception.message': errorMessage(status),
					'exception.stacktrace': `${MULE_FLOW}/processors/2 @ ${MULE_APP}:${MULE_FLOW}.xml:14 (Request)\n${MULE_FLOW} @ ${MULE_APP}:${MULE_FLOW}.xml:9`,
					'exception.escaped': true
				},
				t + 82
			);
		}
		flow.end(t + 82);
		orders.push({ id, status, traceId: flow.spanContext().traceId, ...(failed ? { errorType } : {}) });
	});
	return { spans: exporter.getFinishedSpans(), orders };
}
