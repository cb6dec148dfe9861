/**
 * Apache Camel order intake, as camel-opentelemetry (camel-tracing) or camel-opentelemetry2
 * (camel-telemetry) emit it. The route:
 *
 *   from("platform-http:/orders").routeId("order-intake")
 *       .process(orderIdOnSpan)                 // the order ID onto the current span (see below)
 *       .to("direct:validate-order")
 *       .to("http://erp.example.internal:8080/api/sales-orders");
 *   from("direct:validate-order").routeId("validate-order").log("validated ${header.X-Order-Id}");
 *
 * gives per exchange: the route's consumer span (`POST`, SERVER), a producer and a consumer span for
 * `direct:validate-order` (`direct`), and the HTTP producer span (`POST`, CLIENT). Attributes per
 * AbstractSpanDecorator / AbstractHttpSpanDecorator: `component`, `url.scheme`, `camel.uri`,
 * `url.path`, `http.method`, `http.url`, `http.status_code`; camel-opentelemetry adds
 * `camel.route.id` (getFromRouteId: `order-intake` on every span of the exchange),
 * camel-opentelemetry2 adds `op` and `exchangeId`. A failed exchange: `error` = true, a span event
 * named `error` (`error.kind` = Exception, `message` = the exception message: camel-http's
 * HttpOperationFailedException "HTTP operation failed invoking <url> with statusCode: 422"), no
 * status code attribute on the failed producer; camel-opentelemetry2 also sets the status to ERROR
 * (camel-opentelemetry leaves it unset). Tracer (scope) name: `camel` in both.
 *
 * Camel puts no business key on spans. The route puts the order ID (header X-Order-Id) on its
 * consumer span as `order.id`: with camel-opentelemetry `.process(new AttributeProcessor("order.id",
 * header("X-Order-Id")))`, with camel-opentelemetry2 `Span.current().setAttribute(...)` in a processor
 * (the tracer makes the endpoint span current). A `keys:` rule reads it.
 *
 * Assumptions where the sources say nothing: the sanitized consumer URI is `platform-http://orders`;
 * platform-http answers a failed exchange with 500.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordingProvider, spread, T0 } from './to-items';

export type CamelModule = 'camel-opentelemetry' | 'camel-opentelemetry2';
export type CamelErpAnswer = 201 | 422 | 503;

export interface CamelOrder {
	id: string;
	status: CamelErpAnswer;
	traceId: string;
}

export const CAMEL_SERVICE = 'order-intake-camel';
export const CAMEL_ROUTE = 'order-intake';
export const CAMEL_CONSUMER_URI = 'platform-http://orders';
export const CAMEL_ERP_HOST = 'erp.example.internal';
export const CAMEL_ERP_URI = `http://${CAMEL_ERP_HOST}:8080/api/sales-orders`;

/** 20 orders: 14 × 201, 3 × 422, 3 × 503. */
export const CAMEL_MIX: [CamelErpAnswer, number][] = [
	[201, 14],
	[422, 3],
	[503, 3]
];

export function emitCamel(
	module: CamelModule = 'camel-opentelemetry2',
	mix: [CamelErpAnswer, number][] = CAMEL_MIX
): { spans: ReadableSpan[]; orders: CamelOrder[] } {
	const { provider, exporter } = recordingProvider({ 'service.name': CAMEL_SERVICE, 'telemetry.sdk.language': 'java' });
	const tracer = provider.getTracer('camel');
	const v2 = module === 'camel-opentelemetry2';
	const orders: CamelOrder[] = [];

	spread(mix).forEach((status, i) => {
		const id = `SO-${3001 + i}`;
		const t = T0 + i * 1000;
		const exchangeId = `5E1C2A9B7D40F11-${String(i + 1).padStart(16, '0')}`;

		/** The decorator's tags for an endpoint (beforeTracingEvent / pre). */
		const endpoint = (component: string, uri: string, op: 'EVENT_RECEIVED' | 'EVENT_SENT'): Attributes => ({
			component: `camel-${component}`,
			'url.scheme': uri.slice(0, uri.indexOf(':')),
			'camel.uri': uri,
			'url.path': uri.slice(uri.indexOf(':') + 1).replace(/^\/+/, '').split('?')[0],
			...(v2 ? { op, exchangeId } : { 'camel.route.id': CAMEL_ROUTE })
		});
		/** afterTracingEvent / post on a failed exchange. */
		const fail = (span: Span, message: string, at: number) => {
			span.setAttribute('error', v2 ? 'true' : true);
			if (v2) span.setStatus({ code: SpanStatusCode.ERROR });
			span.addEvent('error', { event: 'error', 'error.kind': 'Exception', message }, at);
		};
		/** camel-opentelemetry tags the status as a number, camel-opentelemetry2 as text. */
		const statusTag = (s: number) => (v2 ? String(s) : s);

		const consumer = tracer.startSpan(
			'POST',
			{
				kind: SpanKind.SERVER,
				startTime: t,
				attributes: {
					...endpoint('platform-http', CAMEL_CONSUMER_URI, 'EVENT_RECEIVED'),
					'http.method': 'POST',
					'http.url': 'http://order-intake.example.internal:8080/orders'
				}
			},
			ROOT_CONTEXT
		);
		consumer.setAttribute('order.id', id);
		const inRoute = trace.setSpan(ROOT_CONTEXT, consumer);

		const toDirect = tracer.startSpan('direct', { kind: SpanKind.INTERNAL, startTime: t + 2, attributes: endpoint('direct', 'direct://validate-order', 'EVENT_SENT') }, inRoute);
		const fromDirect = tracer.startSpan(
			'direct',
			{ kind: SpanKind.INTERNAL, startTime: t + 2, attributes: endpoint('direct', 'direct://validate-order', 'EVENT_RECEIVED') },
			trace.setSpan(ROOT_CONTEXT, toDirect)
		);
		fromDirect.addEvent('log', { message: `validated ${id}` }, t + 3);
		fromDirect.end(t + 4);
		toDirect.end(t + 4);

		const toErp = tracer.startSpan(
			'POST',
			{
				kind: SpanKind.CLIENT,
				startTime: t + 5,
				attributes: { ...endpoint('http', CAMEL_ERP_URI, 'EVENT_SENT'), 'http.method': 'POST', 'http.url': CAMEL_ERP_URI }
			},
			inRoute
		);
		const failure = status === 201 ? '' : `HTTP operation failed invoking ${CAMEL_ERP_URI} with statusCode: ${status}`;
		if (failure) fail(toErp, failure, t + 60);
		else toErp.setAttribute('http.status_code', statusTag(201));
		toErp.end(t + 60);

		consumer.setAttribute('http.status_code', statusTag(failure ? 500 : 201));
		if (failure) fail(consumer, failure, t + 62);
		consumer.end(t + 62);
		orders.push({ id, status, traceId: consumer.spanContext().traceId });
	});
	return { spans: exporter.getFinishedSpans(), orders };
}
