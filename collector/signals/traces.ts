/**
 * ExportTraceServiceRequest → otel_traces rows (JSONCompactEachRow), protobuf and OTLP/JSON.
 * Row values follow the contrib ClickHouse exporter (exporter/clickhouseexporter, traces):
 * Timestamp = start time (ns), Duration = end - start (ns), SpanKind/StatusCode as
 * traceutil.SpanKindStr/StatusCodeStr write them, attributes as Map(String, String) text.
 * trace.proto: https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
 */
import { jsonAttributesObject, jsonInt64Text, jsonString } from './any-value';
import { jsonHex, jsonResource, jsonScope, list, obj, type ResourceInfo, type ScopeInfo } from './common';
import { emptyItem } from '../../src/lib/server/interpret/facts';
import { spanTimeProblem, withLimits, type IngestLimits } from './limits';
import type { AttributeCapture } from './proto-attributes';
import { idOrEmpty, jsonEnum, q, RowSink, SPAN_KINDS, spanIdProblem, STATUS_CODES, traceIdProblem } from './rows';

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

/** The protobuf decoder writes rows straight into bytes (traces-proto.ts). */
export { decodeTracesProto } from './traces-proto';

// ---- OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) -------------

export function decodeTracesJson(body: unknown, capture: AttributeCapture | null = null, limits: IngestLimits | null = null): RowSink {
	return withLimits(limits, () => decodeTracesJsonWith(body, new RowSink(capture, limits)));
}

function decodeTracesJsonWith(body: unknown, sink: RowSink): RowSink {
	for (const rs of list(obj(body, 'request').resourceSpans, 'resourceSpans')) {
		const o = obj(rs, 'ResourceSpans');
		const res = jsonResource(o.resource);
		for (const ss of list(o.scopeSpans, 'scopeSpans')) {
			const so = obj(ss, 'ScopeSpans');
			const scope = jsonScope(so.scope);
			const suffix = suffixOf(res, scope);
			const origin = { service: res.serviceName, resource: res.values, scope: scope.name };
			for (const sp of list(so.spans, 'spans')) jsonSpan(obj(sp, 'Span'), suffix, origin, sink);
		}
	}
	return sink;
}

function jsonTime(v: unknown, what: string): bigint {
	return v === undefined || v === null ? 0n : BigInt(jsonInt64Text(v, what));
}

/** Drop reserved `syncscope.*` keys from an attribute object's text; returns the text and its values. */
export function capturedAttributes(text: string): { text: string; values: Record<string, string> } {
	const values = JSON.parse(text) as Record<string, string>;
	const reserved = Object.keys(values).filter((k) => k.startsWith('syncscope.'));
	if (reserved.length === 0) return { text, values };
	for (const k of reserved) delete values[k];
	return { text: '{' + Object.entries(values).map(([k, v]) => q(k) + ':' + q(v)).join(',') + '}', values };
}

function jsonSpan(s: Record<string, unknown>, suffix: string, origin: { service: string; resource: Record<string, string>; scope: string }, sink: RowSink): void {
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
		(stop < start ? 'endTimeUnixNano is before startTimeUnixNano' : '') ||
		(sink.limits ? spanTimeProblem(start, stop, sink.limits) : '');
	// Names, attributes and messages are decoded even for a rejected span: a wrong type is a 400.
	const name = jsonString(s.name, 'name');
	const traceState = jsonString(s.traceState, 'traceState');
	let attrs = jsonAttributesObject(s.attributes);
	const statusMessage = jsonString(status.message, 'status.message');
	const evTimes = events.map((e) => '"' + jsonTime(e.timeUnixNano, 'timeUnixNano') + '"').join(',');
	const evNames = events.map((e) => q(jsonString(e.name, 'event.name'))).join(',');
	const evAttrList = events.map((e) => jsonAttributesObject(e.attributes));
	const evAttrs = evAttrList.join(',');
	const lnAttrs = links.map((l) => jsonAttributesObject(l.attributes)).join(',');
	const lnState = links.map((l) => q(jsonString(l.traceState, 'link.traceState'))).join(',');
	if (problem) return sink.reject(`span ${spanId || '?'}: ${problem}`);
	const lnTrace = linkIds.map(([a]) => '"' + idOrEmpty(a ?? '') + '"').join(',');
	const lnSpan = linkIds.map(([, b]) => '"' + idOrEmpty(b ?? '') + '"').join(',');
	const head = '["' + start + '","' + traceId + '","' + spanId + '","' + idOrEmpty(parent ?? '') + '",' + q(traceState) + ',' + q(name) + ',"' + (SPAN_KINDS[kind] ?? '') + '",';
	if (sink.capture) {
		const captured = capturedAttributes(attrs);
		attrs = captured.text;
		sink.cut(head.length + attrs.length - 1, attrs !== '{}');
		sink.items.push(
			emptyItem({
				traceId: traceId ?? '',
				spanId: spanId ?? '',
				parentSpanId: idOrEmpty(parent ?? ''),
				name,
				kind: SPAN_KINDS[kind] ?? '',
				status: STATUS_CODES[statusCode] ?? '',
				statusMessage,
				...origin,
				attrs: captured.values,
				events: events
					.map((e, i) => ({ name: jsonString(e.name, 'event.name'), attrs: JSON.parse(evAttrList[i]) as Record<string, string> }))
					.filter((e) => sink.capture!.events.has(e.name)),
				links: linkIds.map(([a, b]) => ({ traceId: a ?? '', spanId: b ?? '' }))
			})
		);
	}
	sink.rows.push(
		head + attrs + ',' + (stop - start) + ',"' + (STATUS_CODES[statusCode] ?? '') + '",' + q(statusMessage) +
			',[' + evTimes + '],[' + evNames + '],[' + evAttrs + '],[' + lnTrace + '],[' + lnSpan + '],[' + lnState + '],[' + lnAttrs + ']' + suffix
	);
}
