/**
 * MuleSoft Mule 4 (runtime 4.6+ native OpenTelemetry tracing; HTTP Connector 1.8+ for the HTTP
 * conventions). Every span comes from the instrumentation scope `mule` and carries `location` (the
 * component's location: the flow name for the flow span, `<flow>/processors/<n>` for a component),
 * `correlation.id` (the Mule event's correlation ID: the X-Correlation-ID the source received, else
 * a generated one; the HTTP Requester forwards it), `artifact.id`, `artifact.type` (`app`, `policy`,
 * `domain`), `thread.start.*` / `thread.end.name`, and any Tracing-module logging variables. Span names
 * are `mule:flow`, `mule:<component>` (`mule:logger`, `mule:set-variable`, `ee:transform`, …) except
 * where the HTTP Connector renames them: a flow whose source is an HTTP Listener becomes `POST /orders`
 * (kind SERVER, `http.route`, `http.method`, `http.status_code`, …) and an HTTP Request becomes `POST`
 * (kind CLIENT, `http.url`, `net.peer.name`, `net.peer.port`, `http.status_code`; status ERROR from
 * 400 up). A failing component has status ERROR and an `exception` event whose `exception.type` is
 * the Mule error type (`HTTP:CONNECTIVITY`, `HTTP:SERVICE_UNAVAILABLE`, `VALIDATION:INVALID_SIZE`).
 *
 * Sources:
 * - https://docs.mulesoft.com/mule-runtime/latest/otel-support (Mule span data, Errors in Tracing,
 *   HTTP Conventions); mulesoft/docs-mule-runtime modules/ROOT/pages/otel-support.adoc
 * - https://docs.mulesoft.com/mule-runtime/latest/correlation-id
 * - mulesoft/mule: ComponentExecutionInitialSpanInfo.java, CoreEventEnrichedInitialSpanInfo.java
 *   (location, correlation.id, thread.start.*, logging variables), OpenTelemetrySpanExporterUtils.java
 *   (artifact.id, artifact.type, exception.* event), OpenTelemetrySpanExporter.java (onError: status
 *   ERROR, exception.type = error type), OpenTelemetryInstrumentationConstants.java (scope `mule`)
 * - mulesoft/mule-http-connector: HttpListenerCurrentSpanCustomizer.java,
 *   HttpRequestCurrentSpanCustomizer.java, HttpSpanUtils.java, HttpRequester.java, HttpError.java
 *
 * An HTTP status code, where the span has one, names the error (`HTTP 503`) as it does for every
 * other middleware; the Mule error type names it where there is none (`HTTP:CONNECTIVITY`,
 * `HTTP:TIMEOUT`, `DB:CONNECTIVITY`, `VALIDATION:*`).
 */
import type { Pack } from './types';

/** Mule's span attributes: the artifact type and the component location come with every span. */
const MULE = { 'artifact.type': '/^(app|domain|policy)$/', location: '*' };

/** `HTTP:SERVICE_UNAVAILABLE` → `SERVICE_UNAVAILABLE` (the identifier after the namespace). */
const ERROR_IDENTIFIER = '^[A-Z][A-Z0-9_-]*:([A-Z][A-Z0-9_]*)$';
/** `VALIDATION:INVALID_SIZE` → `VALIDATION`. */
const ERROR_NAMESPACE = '^([A-Z][A-Z0-9_-]*):';

/** Error identifiers of the Mule runtime (MULE:*) and the HTTP Connector (HTTP:*), by contract class. */
const CLASS_BY_IDENTIFIER: Record<string, string> = {
	CONNECTIVITY: 'transport',
	TIMEOUT: 'transport',
	RETRY_EXHAUSTED: 'transport',
	REDELIVERY_EXHAUSTED: 'transport',
	SERVICE_UNAVAILABLE: 'transport',
	BAD_GATEWAY: 'transport',
	GATEWAY_TIMEOUT: 'transport',
	INTERNAL_SERVER_ERROR: 'transport',
	TOO_MANY_REQUESTS: 'transport',
	BAD_REQUEST: 'validation',
	PARSING: 'validation',
	TRANSFORMATION: 'validation',
	EXPRESSION: 'validation',
	UNSUPPORTED_MEDIA_TYPE: 'validation',
	NOT_ACCEPTABLE: 'validation',
	UNAUTHORIZED: 'auth',
	FORBIDDEN: 'auth',
	SECURITY: 'auth',
	CLIENT_SECURITY: 'auth',
	SERVER_SECURITY: 'auth',
	BASIC_AUTHENTICATION: 'auth',
	NOT_FOUND: 'business',
	METHOD_NOT_ALLOWED: 'business',
	DUPLICATE_MESSAGE: 'duplicate'
};

/** Modules whose every error is one class (Validation module, APIkit request validation, JSON/XML schema). */
const CLASS_BY_NAMESPACE: Record<string, string> = {
	VALIDATION: 'validation',
	APIKIT: 'validation',
	JSON: 'validation',
	XML: 'validation'
};

export const mulesoft: Pack = {
	name: 'mulesoft',
	title: 'MuleSoft Mule 4 (native OpenTelemetry tracing)',
	description:
		'Flow from the component location (its first segment is the Mule flow), step from the location of each component, correlation ID from correlation.id, target from net.peer.name of an HTTP Request; failures without an HTTP status are named by the Mule error type (HTTP:CONNECTIVITY), the error type sets the error class, and the error description the error message.',
	rules: [
		{
			id: 'mulesoft.flow',
			description: 'location is the flow name on the flow span and <flow>/processors/<n> on its components',
			when: { attr: MULE },
			set: { flow: { from: 'attr:location', regex: '^([^/]+)' } }
		},
		{
			id: 'mulesoft.step',
			description: 'each component (not the flow span itself) is a step, named by its location',
			when: { attr: { ...MULE, location: '*/processors/*' } },
			set: { step: { from: 'attr:location' } }
		},
		{
			id: 'mulesoft.correlation',
			when: { attr: MULE },
			set: { correlation_id: { from: 'attr:correlation.id' } }
		},
		{
			id: 'mulesoft.target',
			description: 'the host an HTTP Request calls (peer.service, when set, names the system instead)',
			when: { kind: 'client', attr: { ...MULE, 'peer.service': '/^$/' } },
			set: { target: { from: 'attr:net.peer.name' } }
		},
		{
			id: 'mulesoft.error-type',
			description: 'the Mule error type names a failure that has no HTTP status',
			when: { attr: { ...MULE, 'http.status_code': '/^$/' } },
			set: { 'error.code': { from: 'event:exception:exception.type' } }
		},
		{
			id: 'mulesoft.error-message',
			description: 'the Mule error description (the span status only says "Exceptions have been recorded.")',
			when: { attr: MULE },
			set: { 'error.message': { from: 'event:exception:exception.message' } }
		},
		{
			id: 'mulesoft.error-class',
			when: { attr: MULE },
			set: { 'error.class': { from: 'event:exception:exception.type', regex: ERROR_IDENTIFIER, map: CLASS_BY_IDENTIFIER, only: true } }
		},
		{
			id: 'mulesoft.error-class-module',
			when: { attr: MULE },
			set: { 'error.class': { from: 'event:exception:exception.type', regex: ERROR_NAMESPACE, map: CLASS_BY_NAMESPACE, only: true } }
		}
	]
};
