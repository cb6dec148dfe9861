/**
 * An approval is bound to the SHA-256 of the payload and the target: if the dead-letter payload or
 * the endpoint (id or URL) changes after the request or approval, the binding no longer matches and
 * the approval is void.
 *
 * Edit-then-replay: an operator may send a corrected payload with the replay request. Then the
 * binding covers the edited payload's hash AND the original dead letter's hash: the approval is for
 * exactly this correction of exactly that dead letter. A newer dead letter, another edit or another
 * target voids it. The edited body itself is kept in the request's audit row (service.ts).
 */
import { canonicalJson, sha256Hex } from '../audit/canonical';
import { endpointForFlow, getEndpoint, type Endpoint } from '../actions/endpoints';
import { isTruncated } from '../truncation';
import { ActionError } from './errors';
import { latestPayload } from './queries';
import type { AuditRow } from '../audit/log';

export interface Binding {
	/** what a replay sends: the edited payload, else the dead letter's */
	payload: string;
	payloadSha256: string;
	/** the dead letter's own hash (equal to payloadSha256 when not edited) */
	originalSha256: string;
	edited: boolean;
	endpoint: Endpoint;
	/** SHA-256 over payload hash (+ original hash when edited) + endpoint id + URL */
	hash: string;
}

/** The largest edited payload an operator may submit (the page edits what it shows in full). */
export const MAX_EDITED_BYTES = 64 * 1024;

export function bindingHash(payloadSha256: string, endpoint: Pick<Endpoint, 'id' | 'url'>, originalSha256?: string): string {
	const edited = originalSha256 && originalSha256 !== payloadSha256;
	return sha256Hex(
		canonicalJson(edited ? { payloadSha256, originalSha256, endpointId: endpoint.id, url: endpoint.url } : { payloadSha256, endpointId: endpoint.id, url: endpoint.url })
	);
}

/** Whether text is a JSON document (what the editor requires when the dead letter is JSON). */
function jsonError(text: string): string | null {
	try {
		JSON.parse(text);
		return null;
	} catch (e) {
		return (e as Error).message;
	}
}

/**
 * Check an edited payload against the original: within the size limit, and JSON if the original is
 * JSON. Returns the edited text, or null when it equals the original (nothing was edited; for JSON: the
 * same document, however formatted).
 */
export function checkEdit(original: string, edited: string): string | null {
	if (edited === original) return null;
	// re-formatting the same JSON document is not a correction (the editor shows it formatted)
	if (jsonError(original) === null && jsonError(edited) === null && canonicalJson(JSON.parse(original)) === canonicalJson(JSON.parse(edited))) return null;
	if (Buffer.byteLength(edited) > MAX_EDITED_BYTES) throw new ActionError(400, `the edited payload is larger than ${MAX_EDITED_BYTES / 1024} KiB`);
	if (edited.trim() === '') throw new ActionError(400, 'the edited payload is empty');
	if (jsonError(original) === null) {
		const bad = jsonError(edited);
		if (bad) throw new ActionError(400, `the edited payload is not valid JSON (${bad}); the dead letter is JSON, so its correction must be too`);
	}
	return edited;
}

/**
 * The current payload and target for an exception, or a reason there is none. With `edited`, the
 * payload is the operator's correction of the current dead letter (checked by checkEdit).
 */
export async function currentBinding(exceptionId: string, flow: string, endpointId?: string, edited?: string | null): Promise<Binding | string> {
	const p = await latestPayload(exceptionId);
	if (!p) return 'there is no dead-letter payload to replay for this exception';
	// a payload cut at ingest is not the message: re-sending it would deliver a broken one
	if (isTruncated(p.payload)) return 'the dead-letter payload was cut at ingest (larger than SYNCSCOPE_MAX_LOG_BODY_BYTES), so Syncscope cannot replay it; a retry asks the middleware to resend its own copy';
	const endpoint = endpointId ? await getEndpoint(endpointId) : await endpointForFlow(flow);
	if (!endpoint) return endpointId ? 'the action endpoint of this request was deleted' : `no enabled action endpoint serves flow ${flow || '(none)'}`;
	if (!endpoint.enabled) return `the action endpoint ${endpoint.name} is disabled (${endpoint.disabledReason})`;
	const originalSha256 = sha256Hex(p.payload);
	const change = edited == null ? null : checkEdit(p.payload, edited);
	const payload = change ?? p.payload;
	const payloadSha256 = change === null ? originalSha256 : sha256Hex(change);
	return { payload, payloadSha256, originalSha256, edited: change !== null, endpoint, hash: bindingHash(payloadSha256, endpoint, originalSha256) };
}

/** What a request_replay row recorded about its target and payload. */
export interface RequestData {
	endpointId: string;
	url: string;
	binding: string;
	edited?: boolean;
	originalSha256?: string;
	/** the operator's corrected payload (edit-then-replay); absent: the dead letter is sent as it is */
	editedPayload?: string;
}

export function requestData(request: AuditRow): RequestData {
	return JSON.parse(request.Data || '{}') as RequestData;
}
