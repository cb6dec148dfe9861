/**
 * Outcome and error facts from the semantic conventions, for spans that do not state them:
 * - HTTP (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#status): a client span fails on
 *   4xx and 5xx; a server span's status is only an error on 5xx, but a server span of a business
 *   flow that answers 4xx refused the message, so it counts as failed (engine.ts: only with a flow);
 * - gRPC (https://opentelemetry.io/docs/specs/semconv/rpc/grpc/): rpc.grpc.status_code != 0;
 * - span status ERROR and `exception` events (exception.type / exception.message).
 * Error class follows the contract: transport (unreachable, timeouts, 5xx, 429), validation (400, 422),
 * auth (401, 403), duplicate (409), business (other 4xx).
 */
import { attr, type Item } from './facts';

const GRPC_NAMES = [
	'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
	'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'
];

/** Error class of an HTTP status code ('' for < 400). */
export function httpErrorClass(code: number): string {
	if (code < 400) return '';
	if (code === 400 || code === 422) return 'validation';
	if (code === 401 || code === 403 || code === 407) return 'auth';
	if (code === 409) return 'duplicate';
	if (code === 408 || code === 429 || code >= 500) return 'transport';
	return 'business';
}

function grpcErrorClass(code: number): string {
	if (code === 3 || code === 11) return 'validation';
	if (code === 7 || code === 16) return 'auth';
	if (code === 6) return 'duplicate';
	if (code === 9 || code === 5 || code === 10) return 'business';
	return 'transport';
}

const TRANSPORT_HINT = /timeout|timed ?out|econn|socket|network|unreachable|unavailable|connect|dns|enotfound|epipe|reset/i;
const VALIDATION_HINT = /validat|schema|pars|invalid|format|constraint|malformed/i;
const AUTH_HINT = /auth|forbidden|permission|credential|token|unauthori[sz]ed/i;
const DUPLICATE_HINT = /duplicate|already exists|idempot|conflict/i;

/** Error class guessed from an exception type or message ('' when nothing hints). */
export function exceptionErrorClass(text: string): string {
	if (!text) return '';
	if (DUPLICATE_HINT.test(text)) return 'duplicate';
	if (AUTH_HINT.test(text)) return 'auth';
	if (VALIDATION_HINT.test(text)) return 'validation';
	if (TRANSPORT_HINT.test(text)) return 'transport';
	return '';
}

export interface FailureFacts {
	outcome: string;
	errorClass: string;
	errorCode: string;
	errorMessage: string;
	/** which convention said so */
	rule: string;
}

function httpStatus(it: Item): number {
	const v = attr(it, 'http.response.status_code') ?? attr(it, 'http.status_code');
	const n = v === undefined ? NaN : Number(v);
	return Number.isInteger(n) ? n : 0;
}

/** What the conventions say about a span's failure; null when it did not fail by any of them. */
export function conventionFailure(it: Item): FailureFacts | null {
	const exc = exceptionEvent(it);
	const http = httpStatus(it);
	if (http >= 400) {
		return {
			outcome: 'failed',
			errorClass: httpErrorClass(http),
			errorCode: `HTTP ${http}`,
			errorMessage: failureMessage(it, exc) || `HTTP ${http}`,
			rule: 'semconv.http-status'
		};
	}
	const grpcText = attr(it, 'rpc.grpc.status_code');
	const grpc = grpcText === undefined ? 0 : Number(grpcText);
	if (grpc > 0 && Number.isInteger(grpc)) {
		return {
			outcome: 'failed',
			errorClass: grpcErrorClass(grpc),
			errorCode: `gRPC ${GRPC_NAMES[grpc] ?? grpc}`,
			errorMessage: failureMessage(it, exc) || `gRPC ${GRPC_NAMES[grpc] ?? grpc}`,
			rule: 'semconv.grpc-status'
		};
	}
	if (it.status === 'Error' || exc) {
		const excType = exc?.attrs['exception.type'] ?? attr(it, 'exception.type') ?? '';
		const errorType = attr(it, 'error.type') ?? '';
		const msg = failureMessage(it, exc);
		return {
			outcome: it.status === 'Error' ? 'failed' : '',
			errorClass: exceptionErrorClass(`${excType} ${errorType} ${msg}`),
			errorCode: excType || errorType,
			errorMessage: msg,
			rule: exc ? 'semconv.exception' : 'semconv.status'
		};
	}
	return null;
}

/** True when the span's HTTP or gRPC status says it succeeded. */
export function conventionSuccess(it: Item): boolean {
	const http = httpStatus(it);
	if (http >= 100 && http < 400) return it.status !== 'Error';
	return attr(it, 'rpc.grpc.status_code') === '0' && it.status !== 'Error';
}

/** The status message, else the exception's (read only for a span that failed). */
function failureMessage(it: Item, exc: Item['events'][number] | undefined): string {
	return it.statusMessage || (exc?.attrs['exception.message'] ?? attr(it, 'exception.message') ?? '');
}

function exceptionEvent(it: Item): Item['events'][number] | undefined {
	for (const e of it.events) if (e.name === 'exception') return e;
	return undefined;
}
