/**
 * A small independent OTLP encoder (protobuf and OTLP/JSON) for tests and the ingest benchmark:
 * it builds requests the SDK cannot (bad ids, any field order, every AnyValue kind).
 */
export type TAny =
	| { s: string }
	| { b: boolean }
	| { i: bigint }
	| { d: number }
	| { arr: TAny[] }
	| { kv: TKV[] }
	| { bytes: Buffer }
	| { empty: true };
export interface TKV {
	key: string;
	value: TAny;
}
export interface TSpan {
	traceId: Buffer;
	spanId: Buffer;
	parentSpanId?: Buffer;
	traceState?: string;
	name: string;
	kind?: number;
	start: bigint;
	end: bigint;
	attributes?: TKV[];
	events?: { time: bigint; name: string; attributes?: TKV[] }[];
	links?: { traceId: Buffer; spanId: Buffer; traceState?: string; attributes?: TKV[] }[];
	status?: { code?: number; message?: string };
}
export interface TScope {
	name?: string;
	version?: string;
	spans: TSpan[];
}
export interface TResourceSpans {
	resource: TKV[];
	scopes: TScope[];
}

// ---- protobuf writer ----------------------------------------------------------------------------

function varint(n: bigint): number[] {
	let v = BigInt.asUintN(64, n);
	const out: number[] = [];
	while (v > 0x7fn) {
		out.push(Number(v & 0x7fn) | 0x80);
		v >>= 7n;
	}
	out.push(Number(v));
	return out;
}
const tag = (field: number, wire: number) => Buffer.from(varint(BigInt((field << 3) | wire)));
export const pbLen = (field: number, payload: Buffer) => Buffer.concat([tag(field, 2), Buffer.from(varint(BigInt(payload.length))), payload]);
export const pbStr = (field: number, s: string) => pbLen(field, Buffer.from(s, 'utf8'));
export const pbVarint = (field: number, n: bigint | number) => Buffer.concat([tag(field, 0), Buffer.from(varint(BigInt(n)))]);
export function pbFixed64(field: number, n: bigint): Buffer {
	const b = Buffer.alloc(8);
	b.writeBigUInt64LE(BigInt.asUintN(64, n));
	return Buffer.concat([tag(field, 1), b]);
}
function pbDouble(field: number, d: number): Buffer {
	const b = Buffer.alloc(8);
	b.writeDoubleLE(d);
	return Buffer.concat([tag(field, 1), b]);
}
const cat = (parts: (Buffer | null | undefined | false)[]) => Buffer.concat(parts.filter(Boolean) as Buffer[]);

export function encodeAny(v: TAny): Buffer {
	if ('s' in v) return pbStr(1, v.s);
	if ('b' in v) return pbVarint(2, v.b ? 1 : 0);
	if ('i' in v) return pbVarint(3, v.i);
	if ('d' in v) return pbDouble(4, v.d);
	if ('arr' in v) return pbLen(5, cat(v.arr.map((x) => pbLen(1, encodeAny(x)))));
	if ('kv' in v) return pbLen(6, cat(v.kv.map((x) => pbLen(1, encodeKV(x)))));
	if ('bytes' in v) return pbLen(7, v.bytes);
	return Buffer.alloc(0);
}
export const encodeKV = (kv: TKV) => cat([pbStr(1, kv.key), pbLen(2, encodeAny(kv.value))]);
const attrs = (field: number, list: TKV[] | undefined) => cat((list ?? []).map((kv) => pbLen(field, encodeKV(kv))));

export function encodeSpan(s: TSpan): Buffer {
	return cat([
		pbLen(1, s.traceId),
		pbLen(2, s.spanId),
		s.traceState ? pbStr(3, s.traceState) : null,
		s.parentSpanId ? pbLen(4, s.parentSpanId) : null,
		pbStr(5, s.name),
		s.kind ? pbVarint(6, s.kind) : null,
		pbFixed64(7, s.start),
		pbFixed64(8, s.end),
		attrs(9, s.attributes),
		...(s.events ?? []).map((e) => pbLen(11, cat([pbFixed64(1, e.time), pbStr(2, e.name), attrs(3, e.attributes)]))),
		...(s.links ?? []).map((l) =>
			pbLen(13, cat([pbLen(1, l.traceId), pbLen(2, l.spanId), l.traceState ? pbStr(3, l.traceState) : null, attrs(4, l.attributes)]))
		),
		s.status ? pbLen(15, cat([s.status.message ? pbStr(2, s.status.message) : null, s.status.code ? pbVarint(3, s.status.code) : null])) : null
	]);
}

export function encodeTraces(req: TResourceSpans[]): Buffer {
	return cat(
		req.map((rs) =>
			pbLen(
				1,
				cat([
					pbLen(1, attrs(1, rs.resource)),
					...rs.scopes.map((sc) =>
						pbLen(2, cat([pbLen(1, cat([sc.name ? pbStr(1, sc.name) : null, sc.version ? pbStr(2, sc.version) : null])), ...sc.spans.map((s) => pbLen(2, encodeSpan(s)))]))
					)
				])
			)
		)
	);
}

// ---- OTLP/JSON -----------------------------------------------------------------------------------

export function anyJson(v: TAny): unknown {
	if ('s' in v) return { stringValue: v.s };
	if ('b' in v) return { boolValue: v.b };
	if ('i' in v) return { intValue: v.i.toString() };
	if ('d' in v) return { doubleValue: Number.isFinite(v.d) ? v.d : String(v.d) };
	if ('arr' in v) return { arrayValue: { values: v.arr.map(anyJson) } };
	if ('kv' in v) return { kvlistValue: { values: v.kv.map(kvJson) } };
	if ('bytes' in v) return { bytesValue: v.bytes.toString('base64') };
	return {};
}
const kvJson = (kv: TKV) => ({ key: kv.key, value: anyJson(kv.value) });

export function tracesJson(req: TResourceSpans[]): unknown {
	return {
		resourceSpans: req.map((rs) => ({
			resource: { attributes: rs.resource.map(kvJson) },
			scopeSpans: rs.scopes.map((sc) => ({
				scope: { name: sc.name ?? '', version: sc.version ?? '' },
				spans: sc.spans.map((s) => ({
					traceId: s.traceId.toString('hex'),
					spanId: s.spanId.toString('hex'),
					parentSpanId: s.parentSpanId?.toString('hex') ?? '',
					traceState: s.traceState ?? '',
					name: s.name,
					kind: s.kind ?? 0,
					startTimeUnixNano: s.start.toString(),
					endTimeUnixNano: s.end.toString(),
					attributes: (s.attributes ?? []).map(kvJson),
					events: (s.events ?? []).map((e) => ({ timeUnixNano: e.time.toString(), name: e.name, attributes: (e.attributes ?? []).map(kvJson) })),
					links: (s.links ?? []).map((l) => ({
						traceId: l.traceId.toString('hex'),
						spanId: l.spanId.toString('hex'),
						traceState: l.traceState ?? '',
						attributes: (l.attributes ?? []).map(kvJson)
					})),
					status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' }
				}))
			}))
		}))
	};
}

// ---- a realistic benchmark/test workload ------------------------------------------------------

let seq = 0;
/**
 * One request: one resource, one scope, `n` spans with ~10 attributes each, at recent times. With
 * `untagged`, the spans carry what standard HTTP instrumentation emits instead of integration.*
 * (route, status code, a captured correlation header), so the interpretation layer derives the facts.
 */
export function sampleTraces(n: number, service = 'erp-adapter', opts: { untagged?: boolean } = {}): TResourceSpans[] {
	const now = BigInt(Date.now() - 60_000) * 1_000_000n;
	const spans: TSpan[] = [];
	const batch = ++seq;
	for (let i = 0; i < n; i++) {
		const traceId = Buffer.alloc(16);
		traceId.writeUInt32BE(batch, 0);
		traceId.writeUInt32BE(i, 4);
		traceId.writeUInt32BE(process.pid, 8);
		traceId.writeUInt32BE(0xabcdef01, 12);
		const spanId = Buffer.alloc(8);
		spanId.writeUInt32BE(batch, 0);
		spanId.writeUInt32BE(i + 1, 4);
		const start = now + BigInt(i) * 1000n;
		spans.push({
			traceId,
			spanId,
			name: `erp.create-sales-order`,
			kind: 2,
			start,
			end: start + 1_234_567n,
			attributes: opts.untagged ? untaggedAttributes(batch, i) : [
				{ key: 'integration.correlation_id', value: { s: `SO-${batch}-${i}` } },
				{ key: 'integration.flow', value: { s: 'order-to-cash' } },
				{ key: 'integration.step', value: { s: 'erp.create-sales-order' } },
				{ key: 'integration.source', value: { s: 'ecommerce' } },
				{ key: 'integration.target', value: { s: 'erp' } },
				{ key: 'integration.message_id', value: { s: `msg-${batch}-${i}` } },
				{ key: 'integration.attempt', value: { i: 1n } },
				{ key: 'integration.outcome', value: { s: 'success' } },
				{ key: 'http.request.method', value: { s: 'POST' } },
				{ key: 'http.response.status_code', value: { i: 201n } }
			],
			status: { code: 1 }
		});
	}
	return [
		{
			resource: [
				{ key: 'service.name', value: { s: service } },
				{ key: 'service.version', value: { s: '1.4.2' } },
				{ key: 'host.name', value: { s: 'mw-node-1' } }
			],
			scopes: [{ name: 'syncscope-bench', version: '1.0.0', spans }]
		}
	];
}

function untaggedAttributes(batch: number, i: number): TKV[] {
	return [
		{ key: 'http.request.method', value: { s: 'POST' } },
		{ key: 'http.route', value: { s: '/orders' } },
		{ key: 'url.path', value: { s: '/orders' } },
		{ key: 'url.scheme', value: { s: 'http' } },
		{ key: 'server.address', value: { s: 'mw-node-1' } },
		{ key: 'server.port', value: { i: 1880n } },
		{ key: 'client.address', value: { s: '10.0.0.7' } },
		{ key: 'user_agent.original', value: { s: 'webshop/2.1' } },
		{ key: 'http.response.status_code', value: { i: i % 10 === 0 ? 503n : 201n } },
		{ key: 'http.request.header.x-correlation-id', value: { arr: [{ s: `SO-${batch}-${i}` }] } }
	];
}

// ---- logs ------------------------------------------------------------------------------------------

export interface TLog {
	time?: bigint;
	observed?: bigint;
	severityNumber?: number;
	severityText?: string;
	body?: TAny;
	attributes?: TKV[];
	flags?: number;
	traceId?: Buffer;
	spanId?: Buffer;
	eventName?: string;
}
export interface TResourceLogs {
	resource: TKV[];
	schemaUrl?: string;
	scopes: { name?: string; version?: string; attributes?: TKV[]; schemaUrl?: string; logs: TLog[] }[];
}

function pbFixed32(field: number, n: number): Buffer {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(n >>> 0);
	return Buffer.concat([tag(field, 5), b]);
}

export function encodeLog(l: TLog): Buffer {
	return cat([
		l.time !== undefined ? pbFixed64(1, l.time) : null,
		l.severityNumber ? pbVarint(2, l.severityNumber) : null,
		l.severityText ? pbStr(3, l.severityText) : null,
		l.body ? pbLen(5, encodeAny(l.body)) : null,
		attrs(6, l.attributes),
		l.flags ? pbFixed32(8, l.flags) : null,
		l.traceId ? pbLen(9, l.traceId) : null,
		l.spanId ? pbLen(10, l.spanId) : null,
		l.observed !== undefined ? pbFixed64(11, l.observed) : null,
		l.eventName ? pbStr(12, l.eventName) : null
	]);
}

export function encodeLogs(req: TResourceLogs[]): Buffer {
	return cat(
		req.map((rl) =>
			pbLen(
				1,
				cat([
					pbLen(1, attrs(1, rl.resource)),
					...rl.scopes.map((sc) =>
						pbLen(
							2,
							cat([
								pbLen(1, cat([sc.name ? pbStr(1, sc.name) : null, sc.version ? pbStr(2, sc.version) : null, attrs(3, sc.attributes)])),
								...sc.logs.map((l) => pbLen(2, encodeLog(l))),
								sc.schemaUrl ? pbStr(3, sc.schemaUrl) : null
							])
						)
					),
					rl.schemaUrl ? pbStr(3, rl.schemaUrl) : null
				])
			)
		)
	);
}

export function logsJson(req: TResourceLogs[]): unknown {
	return {
		resourceLogs: req.map((rl) => ({
			resource: { attributes: rl.resource.map(kvJson) },
			schemaUrl: rl.schemaUrl ?? '',
			scopeLogs: rl.scopes.map((sc) => ({
				scope: { name: sc.name ?? '', version: sc.version ?? '', attributes: (sc.attributes ?? []).map(kvJson) },
				schemaUrl: sc.schemaUrl ?? '',
				logRecords: sc.logs.map((l) => ({
					timeUnixNano: (l.time ?? 0n).toString(),
					observedTimeUnixNano: (l.observed ?? 0n).toString(),
					severityNumber: l.severityNumber ?? 0,
					severityText: l.severityText ?? '',
					...(l.body ? { body: anyJson(l.body) } : {}),
					attributes: (l.attributes ?? []).map(kvJson),
					flags: l.flags ?? 0,
					traceId: l.traceId?.toString('hex') ?? '',
					spanId: l.spanId?.toString('hex') ?? '',
					eventName: l.eventName ?? ''
				}))
			}))
		}))
	};
}
