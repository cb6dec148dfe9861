/**
 * One export request, transport-neutral: decode → rows → writer → response body. HTTP and gRPC
 * both call this, so both use the same decoders and the same answers.
 */
import { DecodeError, UnavailableError } from './errors';
import type { Interpreter } from './interpret';
import type { Metrics, SignalName } from './metrics';
import { decodeLogsJson, decodeLogsProto } from './signals/logs';
import { exportResponse, type Encoding } from './signals/response';
import type { IngestLimits } from './signals/limits';
import type { AttributeCapture } from './signals/proto-attributes';
import type { RowSink } from './signals/rows';
import { decodeTracesJson, decodeTracesProto } from './signals/traces';
import type { Writer } from './writer';

export interface IngestContext {
	writer: Writer;
	metrics: Metrics;
	retryAfterSeconds: number;
	/** set by shutdown(): new requests get 503 */
	stopping: boolean;
	/** the interpretation layer (absent: rows are stored as sent) */
	interpreter?: Interpreter;
	/** per-item limits as of now, per signal (absent: no per-item checks) */
	limits?: (signal: SignalName) => IngestLimits;
}

/** Decode a request body to rows; throws DecodeError only. With an interpreter, rows carry derived facts. */
export function decode(signal: SignalName, enc: Encoding, body: Buffer, interpreter?: Interpreter, limits: IngestLimits | null = null): RowSink {
	const capture = interpreter?.capture() ?? null;
	const sink = decodeBody(signal, enc, body, capture, limits);
	if (capture && interpreter) interpreter.apply(sink);
	return sink;
}

function decodeBody(signal: SignalName, enc: Encoding, body: Buffer, capture: AttributeCapture | null, limits: IngestLimits | null): RowSink {
	if (enc === 'proto') return signal === 'traces' ? decodeTracesProto(body, capture, limits) : decodeLogsProto(body, capture, limits);
	let parsed: unknown;
	try {
		const text = body.toString('utf8');
		// "\ud800" escapes parse into lone surrogates, which ClickHouse refuses: make them U+FFFD.
		parsed = /\\u[dD][89a-fA-F]/.test(text) ? JSON.parse(text, wellFormed) : JSON.parse(text);
	} catch (e) {
		throw new DecodeError(`invalid JSON: ${(e as Error).message}`);
	}
	return signal === 'traces' ? decodeTracesJson(parsed, capture, limits) : decodeLogsJson(parsed, capture, limits);
}

/** Handle one export: resolves with the Export*ServiceResponse body once the rows are stored. */
export async function ingest(ctx: IngestContext, signal: SignalName, enc: Encoding, body: Buffer): Promise<Buffer> {
	if (ctx.stopping) throw new UnavailableError('the collector is shutting down', ctx.retryAfterSeconds);
	const sink = decode(signal, enc, body, ctx.interpreter, ctx.limits?.(signal) ?? null);
	const c = ctx.metrics.signals[signal];
	const rows = sink.count;
	c.received += rows + sink.rejected;
	c.rejected += sink.rejected;
	if (rows > 0) {
		try {
			await ctx.writer.write(signal, sink.body(), rows);
		} catch (e) {
			c.refused += rows;
			throw e;
		}
	}
	return exportResponse(signal, enc, sink.rejected, sink.errorMessage);
}

function wellFormed(_key: string, v: unknown): unknown {
	return typeof v === 'string' ? (v as string & { toWellFormed(): string }).toWellFormed() : v;
}
