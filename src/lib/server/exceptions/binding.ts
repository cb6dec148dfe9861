/**
 * An approval is bound to the SHA-256 of the payload and the target: if the dead-letter payload or
 * the endpoint (id or URL) changes after the request or approval, the binding no longer matches and
 * the approval is void.
 */
import { canonicalJson, sha256Hex } from '../audit/canonical';
import { endpointForFlow, getEndpoint, type Endpoint } from '../actions/endpoints';
import { isTruncated } from '../truncation';
import { latestPayload } from './queries';

export interface Binding {
	payload: string;
	payloadSha256: string;
	endpoint: Endpoint;
	/** SHA-256 over payload hash + endpoint id + URL */
	hash: string;
}

export function bindingHash(payloadSha256: string, endpoint: Pick<Endpoint, 'id' | 'url'>): string {
	return sha256Hex(canonicalJson({ payloadSha256, endpointId: endpoint.id, url: endpoint.url }));
}

/** The current payload and target for an exception, or a reason there is none. */
export async function currentBinding(exceptionId: string, flow: string, endpointId?: string): Promise<Binding | string> {
	const p = await latestPayload(exceptionId);
	if (!p) return 'there is no dead-letter payload to replay for this exception';
	// a payload cut at ingest is not the message: re-sending it would deliver a broken one
	if (isTruncated(p.payload)) return 'the dead-letter payload was cut at ingest (larger than SYNCSCOPE_MAX_LOG_BODY_BYTES), so Syncscope cannot replay it; a retry asks the middleware to resend its own copy';
	const endpoint = endpointId ? await getEndpoint(endpointId) : await endpointForFlow(flow);
	if (!endpoint) return endpointId ? 'the action endpoint of this request was deleted' : `no enabled action endpoint serves flow ${flow || '(none)'}`;
	if (!endpoint.enabled) return `the action endpoint ${endpoint.name} is disabled (${endpoint.disabledReason})`;
	const payloadSha256 = sha256Hex(p.payload);
	return { payload: p.payload, payloadSha256, endpoint, hash: bindingHash(payloadSha256, endpoint) };
}
