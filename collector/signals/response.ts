/**
 * What the collector answers: ExportTraceServiceResponse / ExportLogsServiceResponse (with
 * partial_success when items were rejected) and google.rpc.Status for failures, in protobuf or
 * OTLP/JSON to match the request (https://opentelemetry.io/docs/specs/otlp/#otlphttp-response).
 */
export type Signal = 'traces' | 'logs';
export type Encoding = 'proto' | 'json';

function varint(n: number): number[] {
	const out: number[] = [];
	while (n > 0x7f) {
		out.push((n % 128) | 0x80);
		n = Math.floor(n / 128);
	}
	out.push(n);
	return out;
}

function lenField(field: number, payload: Buffer): Buffer {
	return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

function varintField(field: number, n: number): Buffer {
	return n === 0 ? Buffer.alloc(0) : Buffer.from([field << 3, ...varint(n)]);
}

/** Export*ServiceResponse; partial_success only when something was rejected. */
export function exportResponse(signal: Signal, enc: Encoding, rejected: number, errorMessage: string): Buffer {
	if (enc === 'json') {
		if (rejected === 0 && !errorMessage) return Buffer.from('{}');
		const key = signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords';
		return Buffer.from(JSON.stringify({ partialSuccess: { [key]: String(rejected), errorMessage } }));
	}
	if (rejected === 0 && !errorMessage) return Buffer.alloc(0);
	const partial = Buffer.concat([varintField(1, rejected), errorMessage ? lenField(2, Buffer.from(errorMessage)) : Buffer.alloc(0)]);
	return lenField(1, partial);
}

/** google.rpc.RetryInfo wrapped in google.protobuf.Any, for Status.details. */
function retryInfoAny(seconds: number): Buffer {
	const duration = varintField(1, seconds); // google.protobuf.Duration.seconds
	const retryInfo = lenField(1, duration); // RetryInfo.retry_delay
	return Buffer.concat([lenField(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), lenField(2, retryInfo)]);
}

/** google.rpc.Status {code, message, details?: [RetryInfo]} as protobuf bytes. */
export function statusProto(code: number, message: string, retryAfterSeconds?: number): Buffer {
	const parts = [varintField(1, code), lenField(2, Buffer.from(message))];
	if (retryAfterSeconds !== undefined) parts.push(lenField(3, retryInfoAny(retryAfterSeconds)));
	return Buffer.concat(parts);
}

/** google.rpc.Status in the request's encoding (the HTTP body of a failed export). */
export function statusBody(enc: Encoding, code: number, message: string, retryAfterSeconds?: number): Buffer {
	if (enc === 'proto') return statusProto(code, message, retryAfterSeconds);
	const details =
		retryAfterSeconds === undefined
			? []
			: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }];
	return Buffer.from(JSON.stringify({ code, message, details }));
}
