/**
 * A tiny OTLP/HTTP trace receiver for the Node-RED harness: it takes what a real SDK exports
 * (POST /v1/traces, protobuf), keeps every request as OTLP/JSON (hex ids, int64 as strings, enums
 * as numbers — the spec's JSON mapping) and flattens spans for assertions.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

// The protobuf schema the SDK's own exporter encodes with (protobufjs static code shipped in
// @opentelemetry/otlp-transformer 0.208, pinned with the exporters): decoding with it needs no
// .proto files and no decoder of ours.
interface ProtoType {
	decode(buf: Uint8Array): unknown;
	toObject(msg: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const ExportTraceServiceRequest: ProtoType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type OtlpAnyValue =
	| { stringValue: string }
	| { boolValue: boolean }
	| { intValue: string }
	| { doubleValue: number }
	| { arrayValue: { values?: OtlpAnyValue[] } }
	| { kvlistValue: { values?: OtlpKeyValue[] } }
	| { bytesValue: string };
export interface OtlpKeyValue {
	key: string;
	value: OtlpAnyValue;
}
export interface OtlpSpan {
	traceId: string;
	spanId: string;
	parentSpanId?: string;
	name: string;
	kind?: number;
	startTimeUnixNano: string;
	endTimeUnixNano: string;
	attributes?: OtlpKeyValue[];
	events?: { name: string; timeUnixNano: string; attributes?: OtlpKeyValue[] }[];
	links?: { traceId: string; spanId: string; attributes?: OtlpKeyValue[] }[];
	status?: { code?: number; message?: string };
	[field: string]: unknown;
}
export interface OtlpResourceSpans {
	resource?: { attributes?: OtlpKeyValue[] };
	scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
	schemaUrl?: string;
}
export interface OtlpTraces {
	resourceSpans: OtlpResourceSpans[];
}

/** OTLP span kinds and status codes (enum values on the wire). */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export type AttrValue = string | number | boolean | AttrValue[] | { [key: string]: AttrValue } | null;

/** One span with its scope and resource, attribute values unwrapped (int64 → number). */
export interface FlatSpan {
	traceId: string;
	spanId: string;
	parentSpanId: string | null;
	name: string;
	kind: number;
	statusCode: number;
	attributes: Record<string, AttrValue>;
	scope: string;
	resource: Record<string, AttrValue>;
	raw: OtlpSpan;
}

export interface OtlpReceiver {
	/** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
	endpoint: string;
	/** Every export request received, as OTLP/JSON. */
	requests: OtlpTraces[];
	spans(): FlatSpan[];
	close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
	const requests: OtlpTraces[] = [];
	const server = createServer((req, res) => void receive(req, res, requests));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		endpoint: `http://127.0.0.1:${port}`,
		requests,
		spans: () => requests.flatMap(flatten),
		close: () => new Promise((resolve) => server.close(() => resolve()))
	};
}

async function receive(req: IncomingMessage, res: ServerResponse, into: OtlpTraces[]): Promise<void> {
	const chunks: Buffer[] = [];
	try {
		for await (const chunk of req) chunks.push(chunk as Buffer);
	} catch {
		return; // the exporting process exited mid-request
	}
	if (req.method !== 'POST' || req.url !== '/v1/traces') {
		res.writeHead(404).end();
		return;
	}
	into.push(decodeTraces(Buffer.concat(chunks)));
	// An empty ExportTraceServiceResponse: full success.
	res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
}

export function decodeTraces(body: Buffer): OtlpTraces {
	const obj = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
		longs: String,
		enums: Number,
		bytes: String
	}) as unknown as OtlpTraces;
	// protobufjs renders bytes as base64; OTLP/JSON wants trace and span ids in hex.
	for (const rs of obj.resourceSpans ?? [])
		for (const ss of rs.scopeSpans ?? [])
			for (const span of ss.spans ?? []) {
				span.traceId = hex(span.traceId);
				span.spanId = hex(span.spanId);
				if (span.parentSpanId) span.parentSpanId = hex(span.parentSpanId);
				for (const link of span.links ?? []) {
					link.traceId = hex(link.traceId);
					link.spanId = hex(link.spanId);
				}
			}
	return { resourceSpans: obj.resourceSpans ?? [] };
}

const hex = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

export function flatten(traces: OtlpTraces): FlatSpan[] {
	return traces.resourceSpans.flatMap((rs) => {
		const resource = attrs(rs.resource?.attributes);
		return (rs.scopeSpans ?? []).flatMap((ss) =>
			(ss.spans ?? []).map((span) => ({
				traceId: span.traceId,
				spanId: span.spanId,
				parentSpanId: span.parentSpanId || null,
				name: span.name,
				kind: span.kind ?? 0,
				statusCode: span.status?.code ?? STATUS_CODE.UNSET,
				attributes: attrs(span.attributes),
				scope: ss.scope?.name ?? '',
				resource,
				raw: span
			}))
		);
	});
}

export function attrs(kvs: OtlpKeyValue[] | undefined): Record<string, AttrValue> {
	return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, unwrap(kv.value)]));
}

function unwrap(v: OtlpAnyValue | undefined): AttrValue {
	if (!v) return null;
	if ('stringValue' in v) return v.stringValue;
	if ('boolValue' in v) return v.boolValue;
	if ('intValue' in v) return Number(v.intValue);
	if ('doubleValue' in v) return v.doubleValue;
	if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(unwrap);
	if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
	return v.bytesValue;
}
