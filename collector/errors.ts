/**
 * The collector's failures, each either permanent (the client must not retry: 400/401/413/415) or
 * retryable (429/503 with Retry-After). One place maps them to HTTP statuses and gRPC codes.
 * OTLP/HTTP failures: https://opentelemetry.io/docs/specs/otlp/#failures-1
 * OTLP/gRPC failures: https://opentelemetry.io/docs/specs/otlp/#failures
 * Throttling:         https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-throttling
 */

/** gRPC status codes we answer with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GrpcCode = {
	OK: 0,
	INVALID_ARGUMENT: 3,
	RESOURCE_EXHAUSTED: 8,
	INTERNAL: 13,
	UNAVAILABLE: 14,
	UNAUTHENTICATED: 16
} as const;

export abstract class CollectorError extends Error {
	abstract readonly httpStatus: number;
	abstract readonly grpcCode: number;
	/** seconds the client should wait before retrying; undefined for permanent errors */
	readonly retryAfterSeconds?: number;
	get retryable(): boolean {
		return this.retryAfterSeconds !== undefined;
	}
}

/** The body could not be decoded as OTLP (permanent: "400 Bad Request", INVALID_ARGUMENT). */
export class DecodeError extends CollectorError {
	readonly httpStatus = 400;
	readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
	constructor(message: string) {
		super(message);
		this.name = 'DecodeError';
	}
}

/** The engine refused the request's rows as data (a value it cannot parse): permanent, 400. */
export class RefusedByStoreError extends CollectorError {
	readonly httpStatus = 400;
	readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
	constructor(detail: string) {
		super(detail);
		this.name = 'RefusedByStoreError';
	}
}

/** The body exceeds the limit on the wire or after decompression (permanent: 413). */
export class PayloadTooLargeError extends CollectorError {
	readonly httpStatus = 413;
	readonly grpcCode = GrpcCode.RESOURCE_EXHAUSTED;
	constructor(limit: number) {
		super(`request body exceeds ${limit} bytes`);
		this.name = 'PayloadTooLargeError';
	}
}

/** Content type or encoding we do not speak (permanent: 415). */
export class UnsupportedMediaTypeError extends CollectorError {
	readonly httpStatus = 415;
	readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
	constructor(message: string) {
		super(message);
		this.name = 'UnsupportedMediaTypeError';
	}
}

/** Missing or wrong ingest token (permanent until the client is reconfigured: 401). */
export class UnauthenticatedError extends CollectorError {
	readonly httpStatus = 401;
	readonly grpcCode = GrpcCode.UNAUTHENTICATED;
	constructor(message = 'a valid ingest token is required (Authorization: Bearer <token>)') {
		super(message);
		this.name = 'UnauthenticatedError';
	}
}

/**
 * The writer is behind: too many bytes wait for insert. Retryable: 429 with Retry-After, and
 * RESOURCE_EXHAUSTED with RetryInfo on gRPC (without RetryInfo that code would be permanent).
 */
export class QueueFullError extends CollectorError {
	readonly httpStatus = 429;
	readonly grpcCode = GrpcCode.RESOURCE_EXHAUSTED;
	constructor(readonly retryAfterSeconds: number) {
		super('the collector is behind on inserts; retry later');
		this.name = 'QueueFullError';
	}
}

/** The store failed after our own retries, or we are shutting down: 503 / UNAVAILABLE, retryable. */
export class UnavailableError extends CollectorError {
	readonly httpStatus = 503;
	readonly grpcCode = GrpcCode.UNAVAILABLE;
	constructor(
		message: string,
		readonly retryAfterSeconds: number
	) {
		super(message);
		this.name = 'UnavailableError';
	}
}

/** Anything that is not one of ours becomes a retryable 503 with the detail kept for the log. */
export function toCollectorError(e: unknown, retryAfterSeconds: number): CollectorError {
	if (e instanceof CollectorError) return e;
	return new UnavailableError(`internal error: ${(e as Error)?.message ?? String(e)}`, retryAfterSeconds);
}
