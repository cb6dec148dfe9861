/**
 * Apache Camel: the spans of camel-opentelemetry (Camel 3.5+, on camel-tracing, deprecated since
 * 4.19) and camel-opentelemetry2 (Camel 4.11+, on camel-telemetry). Both decorate every endpoint
 * span the same way (AbstractSpanDecorator): `component` = `camel-<component>`, `camel.uri` (the
 * sanitized endpoint URI), `url.scheme`, `url.path`, and for HTTP endpoints `http.method`,
 * `http.url`, `http.status_code`; HTTP spans are named after the method (`POST`), the others after
 * the component (`direct`, `kafka`). camel-opentelemetry adds `camel.route.id`
 * (Exchange.getFromRouteId(): the route that created the exchange); camel-opentelemetry2 adds `op`
 * (`EVENT_RECEIVED` on a route's consumer span, `EVENT_SENT` on a producer) and `exchangeId`.
 * A failed exchange sets `error` = true (camel-opentelemetry2 also sets the status to ERROR) and
 * adds a span event named `error` (not `exception`) with `error.kind` and `message` — for camel-http
 * "HTTP operation failed invoking <url> with statusCode: 422" — and no status code attribute.
 *
 * Sources:
 * - components/camel-tracing/src/main/java/org/apache/camel/tracing/decorators/AbstractSpanDecorator.java
 * - components/camel-tracing/src/main/java/org/apache/camel/tracing/TagConstants.java (`camel.route.id`)
 * - components/camel-telemetry/src/main/java/org/apache/camel/telemetry/decorators/AbstractSpanDecorator.java,
 *   AbstractHttpSpanDecorator.java, Tracer.java (op, exchangeId)
 * - components/camel-opentelemetry2/src/main/java/org/apache/camel/opentelemetry2/OpenTelemetrySpanAdapter.java
 *   (setError → `error` + status ERROR; log → span event named after the `event` field)
 * - https://camel.apache.org/components/next/others/opentelemetry2.html, .../opentelemetry.html
 *
 * What Camel does not publish: a business correlation ID (the breadcrumb ID is gone since Camel 3;
 * `exchangeId` identifies one exchange, not the business message), and the route id under
 * camel-opentelemetry2. The route's consumer endpoint URI stands in for the flow there.
 */
import { httpErrorClass } from '../failures';
import type { Pack } from './types';

/** Every Camel endpoint span carries the endpoint URI; nothing else sets `camel.uri`. */
const CAMEL = { 'camel.uri': '*' };

/** The URI without its options (`http://erp:8080/orders?bridgeEndpoint=true` → `http://erp:8080/orders`). */
const URI_WITHOUT_OPTIONS = '^([^?]+)';

/** In-process hand-offs: a route consumed from one of these is a sub-route, not an entry point. */
const ENTRY_COMPONENT = '/^camel-(?!(direct|direct-vm|seda|vm|disruptor|disruptor-vm|stub)$)/';

/** camel-http's HttpOperationFailedException message: "… with statusCode: 422". */
const STATUS_IN_MESSAGE = 'statusCode: (\\d{3})';

const STATUS_CODES = Array.from({ length: 200 }, (_, i) => 400 + i);
const HTTP_CODE: Record<string, string> = Object.fromEntries(STATUS_CODES.map((c) => [String(c), `HTTP ${c}`]));
const HTTP_CLASS: Record<string, string> = Object.fromEntries(STATUS_CODES.map((c) => [String(c), httpErrorClass(c)]));

/** java.net / JDK HTTP client failure texts that mean the other side was not reached. */
const TRANSPORT_MESSAGE =
	'(Connection refused|Connection reset|connect timed out|Read timed out|No route to host|UnknownHostException|HttpHostConnectException|ConnectTimeoutException|SocketTimeoutException)';
const TRANSPORT: Record<string, string> = Object.fromEntries(
	TRANSPORT_MESSAGE.slice(1, -1)
		.split('|')
		.map((t) => [t, 'transport'])
);

export const camel: Pack = {
	name: 'camel',
	title: 'Apache Camel (camel-opentelemetry, camel-opentelemetry2)',
	description:
		'Flow from camel.route.id (camel-opentelemetry), else the consumer endpoint URI of the route (camel-opentelemetry2); step from the endpoint URI without its options; target from the host of http.url on producer spans; a failed exchange (error=true) is a failure, with the message of its `error` event and the HTTP status camel-http names in it (statusCode: 422 → HTTP 422).',
	rules: [
		{
			id: 'camel.flow',
			description: 'camel-opentelemetry tags every span with the id of the route that created the exchange',
			when: { attr: CAMEL },
			set: { flow: { from: 'attr:camel.route.id' } }
		},
		{
			id: 'camel.flow-entry',
			description: 'camel-opentelemetry2 has no route id: the consumer endpoint of an entry route names it (one consumer per endpoint)',
			when: { attr: { ...CAMEL, op: 'EVENT_RECEIVED', component: ENTRY_COMPONENT } },
			set: { flow: { from: 'attr:camel.uri', regex: URI_WITHOUT_OPTIONS } }
		},
		{
			id: 'camel.step',
			description: 'each endpoint span is a step, named by its endpoint URI without options',
			when: { attr: CAMEL },
			set: { step: { from: 'attr:camel.uri', regex: URI_WITHOUT_OPTIONS } }
		},
		{
			id: 'camel.target',
			description: 'the host a producer calls (peer.service, when set, names the system instead)',
			when: { kind: ['client', 'producer'], attr: { ...CAMEL, 'peer.service': '/^$/' } },
			set: { target: { from: 'attr:http.url', regex: '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^:/?#]+)' } }
		},
		{
			id: 'camel.failed',
			description: 'a failed exchange: error=true (camel-opentelemetry leaves the span status unset)',
			when: { attr: { ...CAMEL, error: 'true' } },
			set: {
				outcome: 'failed',
				'error.code': { from: 'event:error:message', regex: STATUS_IN_MESSAGE, map: HTTP_CODE, only: true },
				'error.message': { from: 'event:error:message' }
			}
		},
		{
			id: 'camel.failed-class',
			description: 'error class from the HTTP status in the message, else from a java.net failure',
			when: { attr: { ...CAMEL, error: 'true' } },
			set: { 'error.class': { from: 'event:error:message', regex: STATUS_IN_MESSAGE, map: HTTP_CLASS, only: true } }
		},
		{
			id: 'camel.failed-transport',
			when: { attr: { ...CAMEL, error: 'true' } },
			set: { 'error.class': { from: 'event:error:message', regex: TRANSPORT_MESSAGE, map: TRANSPORT, only: true } }
		}
	]
};
