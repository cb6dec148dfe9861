/**
 * One export request, transport-neutral: decode → rows → writer → response body. HTTP and gRPC
 * both call this, so both use the same decoders and the same answers.
 */
import { DecodeError, UnavailableError } from './errors';
import type { Metrics, SignalName } from './metrics';
import { decodeLogsJson, decodeLogsProto } from './signals/logs';
import { exportResponse, type Encoding } from './signals/response';
import type { RowSink } from './signals/rows';
import { decodeTracesJson, decodeTracesProto } from './signals/traces';
import type { Writer } from './writer';

export interface IngestContext {
	writer: Writer;
	metrics: Metrics;
	retryAfterSeconds: number;
	/** set by shutdown(): new requests get 503 */
	stopping: boolean;
}

/** Decode a request body to rows; throws DecodeError only. */
export function decode(signal: SignalName, enc: Encoding, body: Buffer): RowSink {
	if (enc === 'proto') return signal === 'traces' ? decodeTracesProto(body) : decodeLogsProto(body);
	let parsed: unknown;
	try {
		parsed = JSON.parse(body.toString('utf8'));
	} catch (e) {
		throw new DecodeError(`invalid JSON: ${(e as Error).message}`);
	}
	return signal === 'traces' ? decodeTracesJson(parsed) : decodeLogsJson(parsed);
}

/** Handle one export: resolves with the Export*ServiceResponse body once the rows are stored. */
export async function ingest(ctx: IngestContext, signal: SignalName, enc: Encoding, body: Buffer): Promise<Buffer> {
	if (ctx.stopping) throw new UnavailableError('the collector is shutting down', ctx.retryAfterSeconds);
	const sink = decode(signal, enc, body);
	const c = ctx.metrics.signals[signal];
	c.received += sink.rows.length + sink.rejected;
	c.rejected += sink.rejected;
	if (sink.rows.length > 0) {
		try {
			await ctx.writer.write(signal, sink.rows);
		} catch (e) {
			c.refused += sink.rows.length;
			throw e;
		}
	}
	return exportResponse(signal, enc, sink.rejected, sink.errorMessage);
}
