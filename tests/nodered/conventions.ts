/**
 * The attribute keys @opentelemetry/instrumentation-http 0.208 writes, per HTTP semantic-convention
 * generation. By default it still emits the old (pre-1.23) keys; OTEL_SEMCONV_STABILITY_OPT_IN=http
 * switches to the stable ones. Deployments run both, so the harness checks both.
 */
export interface HttpConventions {
	/** OTEL_SEMCONV_STABILITY_OPT_IN for Node-RED (none: the instrumentation's default). */
	optIn: string | null;
	method: string;
	status: string;
	/** Server span: the request path. */
	path: string;
	/** Client span: the full URL called, and the server it called. */
	url: string;
	peerHost: string;
	peerPort: string;
}

export const OLD_HTTP: HttpConventions = {
	optIn: null,
	method: 'http.method',
	status: 'http.status_code',
	path: 'http.target',
	url: 'http.url',
	peerHost: 'net.peer.name',
	peerPort: 'net.peer.port'
};

export const STABLE_HTTP: HttpConventions = {
	optIn: 'http',
	method: 'http.request.method',
	status: 'http.response.status_code',
	path: 'url.path',
	url: 'url.full',
	peerHost: 'server.address',
	peerPort: 'server.port'
};

/** Both generations: the express instrumentation sets it on the server span. */
export const ROUTE = 'http.route';

/**
 * headersToSpanAttributes names a captured header http.<request|response>.header.<name> with the
 * name's dashes turned into underscores (both generations), the value an array of strings.
 */
export const CORRELATION_HEADER = 'http.request.header.x_correlation_id';
