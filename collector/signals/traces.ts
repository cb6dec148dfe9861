/**
 * ExportTraceServiceRequest → otel_traces rows (JSONCompactEachRow), protobuf and OTLP/JSON.
 * Row values follow the contrib ClickHouse exporter (exporter/clickhouseexporter, traces):
 * Timestamp = start time (ns), Duration = end - start (ns), SpanKind/StatusCode as
 * traceutil.SpanKindStr/StatusCodeStr write them, attributes as Map(String, String) text.
 * trace.proto: https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
 */
import { jsonAttributesObject, jsonInt64Text, jsonString } from './any-value';
import {
	attributeMember,
	decodeResource,
	decodeScope,
	EMPTY_RESOURCE,
	EMPTY_SCOPE,
	jsonHex,
	jsonResource,
	jsonScope,
	list,
	obj,
	type ResourceInfo,
	type ScopeInfo
} from './common';
import { idOrEmpty, jsonEnum, q, RowSink, SPAN_KINDS, spanIdProblem, STATUS_CODES, traceIdProblem } from './rows';
import { expectWire, Reader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire';

/** Column order of the rows the decoders produce (per-span columns first, then resource/scope). */
export const TRACE_COLUMNS = [
	'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'SpanAttributes',
	'Duration', 'StatusCode', 'StatusMessage',
	'Events.Timestamp', 'Events.Name', 'Events.Attributes',
	'Links.TraceId', 'Links.SpanId', 'Links.TraceState', 'Links.Attributes',
	'ServiceName', 'ResourceAttributes', 'ScopeName', 'ScopeVersion'
] as const;

function suffixOf(res: ResourceInfo, scope: ScopeInfo): string {
	return ',' + q(res.serviceName) + ',' + res.attributes + ',' + q(scope.name) + ',' + q(scope.version) + ']\n';
}

// ---- protobuf ---------------------------------------------------------------------------------

export function decodeTracesProto(buf: Buffer): RowSink {
	const sink = new RowSink();
	const r = new Reader(buf, 0, buf.length);
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'resource_spans');
			const e = r.sub();
			resourceSpans(r, e, sink);
			r.pos = e;
		} else r.skip(t);
	}
	return sink;
}

/** Fields of a message may come in any order: find resource first, then decode the scope groups. */
function resourceSpans(r: Reader, end: number, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let res = EMPTY_RESOURCE;
	const scopes: number[] = [];
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'ResourceSpans.resource');
			const e = r.sub();
			res = decodeResource(r, e);
			r.pos = e;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'ResourceSpans.scope_spans');
			const e = r.sub();
			scopes.push(r.pos, e);
			r.pos = e;
		} else r.skip(t);
	}
	for (let i = 0; i < scopes.length; i += 2) {
		r.pos = scopes[i];
		scopeSpans(r, scopes[i + 1], res, sink);
	}
	r.end = outer;
}

function scopeSpans(r: Reader, end: number, res: ResourceInfo, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let scope = EMPTY_SCOPE;
	const spans: number[] = [];
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'ScopeSpans.scope');
			const e = r.sub();
			scope = decodeScope(r, e);
			r.pos = e;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'ScopeSpans.spans');
			const e = r.sub();
			spans.push(r.pos, e);
			r.pos = e;
		} else r.skip(t);
	}
	const suffix = suffixOf(res, scope);
	for (let i = 0; i < spans.length; i += 2) {
		r.pos = spans[i];
		span(r, spans[i + 1], suffix, sink);
	}
	r.end = outer;
}

function span(r: Reader, end: number, suffix: string, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let traceId = '';
	let spanId = '';
	let parent = '';
	let traceState = '';
	let name = '';
	let kind = 0;
	let start = 0n;
	let stop = 0n;
	let attrs = '';
	let evTimes = '';
	let evNames = '';
	let evAttrs = '';
	let lnTrace = '';
	let lnSpan = '';
	let lnState = '';
	let lnAttrs = '';
	let statusCode = 0;
	let statusMessage = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		switch (t >>> 3) {
			case 1:
				expectWire(t, WIRE_LEN, 'Span.trace_id');
				traceId = r.hex();
				break;
			case 2:
				expectWire(t, WIRE_LEN, 'Span.span_id');
				spanId = r.hex();
				break;
			case 3:
				expectWire(t, WIRE_LEN, 'Span.trace_state');
				traceState = r.string();
				break;
			case 4:
				expectWire(t, WIRE_LEN, 'Span.parent_span_id');
				parent = r.hex();
				break;
			case 5:
				expectWire(t, WIRE_LEN, 'Span.name');
				name = r.string();
				break;
			case 6:
				expectWire(t, WIRE_VARINT, 'Span.kind');
				kind = r.uint32();
				break;
			case 7:
				expectWire(t, WIRE_I64, 'Span.start_time_unix_nano');
				start = r.fixed64();
				break;
			case 8:
				expectWire(t, WIRE_I64, 'Span.end_time_unix_nano');
				stop = r.fixed64();
				break;
			case 9:
				attrs += (attrs.length > 0 ? ',' : '') + attributeMember(r, t);
				break;
			case 11: {
				expectWire(t, WIRE_LEN, 'Span.events');
				const e = r.sub();
				const ev = event(r, e);
				r.pos = e;
				const sep = evTimes.length > 0 ? ',' : '';
				evTimes += sep + ev[0];
				evNames += sep + ev[1];
				evAttrs += sep + ev[2];
				break;
			}
			case 13: {
				expectWire(t, WIRE_LEN, 'Span.links');
				const e = r.sub();
				const ln = link(r, e);
				r.pos = e;
				const sep = lnTrace.length > 0 ? ',' : '';
				lnTrace += sep + ln[0];
				lnSpan += sep + ln[1];
				lnState += sep + ln[2];
				lnAttrs += sep + ln[3];
				break;
			}
			case 15: {
				expectWire(t, WIRE_LEN, 'Span.status');
				const e = r.sub();
				r.end = e;
				for (let u = r.tag(); u !== 0; u = r.tag()) {
					if (u >>> 3 === 2) {
						expectWire(u, WIRE_LEN, 'Status.message');
						statusMessage = r.string();
					} else if (u >>> 3 === 3) {
						expectWire(u, WIRE_VARINT, 'Status.code');
						statusCode = r.uint32();
					} else r.skip(u);
				}
				r.end = end;
				r.pos = e;
				break;
			}
			default:
				r.skip(t);
		}
	}
	r.end = outer;
	const problem = traceIdProblem(traceId) || spanIdProblem(spanId) || (parent.length > 0 && parent.length !== 16 ? 'parent_span_id must be 8 bytes or empty' : '') || (stop < start ? 'end_time_unix_nano is before start_time_unix_nano' : '');
	if (problem) return sink.reject(`span ${spanId || '?'}: ${problem}`);
	sink.rows.push(
		'["' + start + '","' + traceId + '","' + spanId + '","' + idOrEmpty(parent) + '",' + q(traceState) + ',' + q(name) + ',"' + (SPAN_KINDS[kind] ?? '') + '",{' + attrs + '},' + (stop - start) + ',"' + (STATUS_CODES[statusCode] ?? '') + '",' + q(statusMessage) +
			',[' + evTimes + '],[' + evNames + '],[' + evAttrs + '],[' + lnTrace + '],[' + lnSpan + '],[' + lnState + '],[' + lnAttrs + ']' + suffix
	);
}

/** Span.Event → [time text, name literal, attributes object text]. */
function event(r: Reader, end: number): [string, string, string] {
	const outer = r.end;
	r.end = end;
	let time = 0n;
	let name = '';
	let attrs = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_I64, 'Event.time_unix_nano');
			time = r.fixed64();
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'Event.name');
			name = r.string();
		} else if (f === 3) attrs += (attrs.length > 0 ? ',' : '') + attributeMember(r, t);
		else r.skip(t);
	}
	r.end = outer;
	return ['"' + time + '"', q(name), '{' + attrs + '}'];
}

/** Span.Link → [trace id, span id, trace state, attributes] as JSON texts. */
function link(r: Reader, end: number): [string, string, string, string] {
	const outer = r.end;
	r.end = end;
	let traceId = '';
	let spanId = '';
	let state = '';
	let attrs = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'Link.trace_id');
			traceId = r.hex();
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'Link.span_id');
			spanId = r.hex();
		} else if (f === 3) {
			expectWire(t, WIRE_LEN, 'Link.trace_state');
			state = r.string();
		} else if (f === 4) attrs += (attrs.length > 0 ? ',' : '') + attributeMember(r, t);
		else r.skip(t);
	}
	r.end = outer;
	return ['"' + idOrEmpty(traceId) + '"', '"' + idOrEmpty(spanId) + '"', q(state), '{' + attrs + '}'];
}

// ---- OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) -------------

export function decodeTracesJson(body: unknown): RowSink {
	const sink = new RowSink();
	for (const rs of list(obj(body, 'request').resourceSpans, 'resourceSpans')) {
		const o = obj(rs, 'ResourceSpans');
		const res = jsonResource(o.resource);
		for (const ss of list(o.scopeSpans, 'scopeSpans')) {
			const so = obj(ss, 'ScopeSpans');
			const suffix = suffixOf(res, jsonScope(so.scope));
			for (const sp of list(so.spans, 'spans')) jsonSpan(obj(sp, 'Span'), suffix, sink);
		}
	}
	return sink;
}

function jsonTime(v: unknown, what: string): bigint {
	return v === undefined || v === null ? 0n : BigInt(jsonInt64Text(v, what));
}

function jsonSpan(s: Record<string, unknown>, suffix: string, sink: RowSink): void {
	const traceId = jsonHex(s.traceId);
	const spanId = jsonHex(s.spanId);
	const parent = jsonHex(s.parentSpanId);
	const start = jsonTime(s.startTimeUnixNano, 'startTimeUnixNano');
	const stop = jsonTime(s.endTimeUnixNano, 'endTimeUnixNano');
	const kind = jsonEnum(s.kind, 'kind');
	const status = obj(s.status, 'status');
	const statusCode = jsonEnum(status.code, 'status');
	const events = list(s.events, 'events').map((e) => obj(e, 'Event'));
	const links = list(s.links, 'links').map((l) => obj(l, 'Link'));
	const linkIds = links.map((l) => [jsonHex(l.traceId), jsonHex(l.spanId)] as const);
	const problem =
		(traceId === null ? 'traceId must be hex' : traceIdProblem(traceId)) ||
		(spanId === null ? 'spanId must be hex' : spanIdProblem(spanId)) ||
		(parent === null || (parent.length > 0 && parent.length !== 16) ? 'parentSpanId must be 8 bytes or empty' : '') ||
		(linkIds.some(([a, b]) => a === null || b === null) ? 'link ids must be hex' : '') ||
		(kind < 0 ? 'kind must be a SpanKind' : '') ||
		(statusCode < 0 ? 'status.code must be a StatusCode' : '') ||
		(stop < start ? 'endTimeUnixNano is before startTimeUnixNano' : '');
	// Names, attributes and messages are decoded even for a rejected span: a wrong type is a 400.
	const name = jsonString(s.name, 'name');
	const traceState = jsonString(s.traceState, 'traceState');
	const attrs = jsonAttributesObject(s.attributes);
	const statusMessage = jsonString(status.message, 'status.message');
	const evTimes = events.map((e) => '"' + jsonTime(e.timeUnixNano, 'timeUnixNano') + '"').join(',');
	const evNames = events.map((e) => q(jsonString(e.name, 'event.name'))).join(',');
	const evAttrs = events.map((e) => jsonAttributesObject(e.attributes)).join(',');
	const lnAttrs = links.map((l) => jsonAttributesObject(l.attributes)).join(',');
	const lnState = links.map((l) => q(jsonString(l.traceState, 'link.traceState'))).join(',');
	if (problem) return sink.reject(`span ${spanId || '?'}: ${problem}`);
	const lnTrace = linkIds.map(([a]) => '"' + idOrEmpty(a ?? '') + '"').join(',');
	const lnSpan = linkIds.map(([, b]) => '"' + idOrEmpty(b ?? '') + '"').join(',');
	sink.rows.push(
		'["' + start + '","' + traceId + '","' + spanId + '","' + idOrEmpty(parent ?? '') + '",' + q(traceState) + ',' + q(name) + ',"' + (SPAN_KINDS[kind] ?? '') + '",' + attrs + ',' + (stop - start) + ',"' + (STATUS_CODES[statusCode] ?? '') + '",' + q(statusMessage) +
			',[' + evTimes + '],[' + evNames + '],[' + evAttrs + '],[' + lnTrace + '],[' + lnSpan + '],[' + lnState + '],[' + lnAttrs + ']' + suffix
	);
}
