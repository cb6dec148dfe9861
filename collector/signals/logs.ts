/**
 * ExportLogsServiceRequest → otel_logs rows (JSONCompactEachRow), protobuf and OTLP/JSON, as the
 * contrib ClickHouse exporter writes them: Timestamp = time_unix_nano or, when 0, the observed
 * time; Body = AnyValue.AsString(); EventName = the record's event_name, else its `event.name`
 * attribute (the older convention our telemetry contract uses).
 * logs.proto: https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/logs/v1/logs.proto
 */
import { jsonAnyValueText, jsonAttributesObject, jsonInt64Text, jsonString } from './any-value';
import { jsonHex, jsonResource, jsonScope, list, obj, type ResourceInfo, type ScopeInfo } from './common';
import { emptyItem } from '../../src/lib/server/interpret/facts';
import { recordTimeProblem, truncate, withLimits, type IngestLimits } from './limits';
import type { AttributeCapture } from './proto-attributes';
import { idOrEmpty, jsonEnum, q, RowSink } from './rows';
import { capturedAttributes } from './traces';

export const LOG_COLUMNS = [
	'Timestamp', 'TraceId', 'SpanId', 'TraceFlags', 'SeverityText', 'SeverityNumber', 'Body', 'LogAttributes', 'EventName',
	'ServiceName', 'ResourceSchemaUrl', 'ResourceAttributes', 'ScopeSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes'
] as const;

function suffixOf(res: ResourceInfo, resUrl: string, scope: ScopeInfo, scopeUrl: string): string {
	return ',' + q(res.serviceName) + ',' + q(resUrl) + ',' + res.attributes + ',' + q(scopeUrl) + ',' + q(scope.name) + ',' + q(scope.version) + ',' + scope.attributes + ']\n';
}

/** A record without any time gets the receive time: a 1970 timestamp would fall out of the TTL at once. */
function recordTime(time: bigint, observed: bigint): bigint {
	if (time !== 0n) return time;
	if (observed !== 0n) return observed;
	return BigInt(Date.now()) * 1_000_000n;
}

function idsProblem(traceId: string, spanId: string): string {
	if (traceId.length !== 0 && traceId.length !== 32) return `trace_id must be 16 bytes or empty (got ${traceId.length / 2})`;
	if (spanId.length !== 0 && spanId.length !== 16) return `span_id must be 8 bytes or empty (got ${spanId.length / 2})`;
	return '';
}

/** The protobuf decoder writes rows straight into bytes (logs-proto.ts). */
export { decodeLogsProto } from './logs-proto';

// ---- OTLP/JSON --------------------------------------------------------------------------------

export function decodeLogsJson(body: unknown, capture: AttributeCapture | null = null, limits: IngestLimits | null = null): RowSink {
	return withLimits(limits, () => decodeLogsJsonWith(body, new RowSink(capture, limits)));
}

function decodeLogsJsonWith(body: unknown, sink: RowSink): RowSink {
	for (const rl of list(obj(body, 'request').resourceLogs, 'resourceLogs')) {
		const o = obj(rl, 'ResourceLogs');
		const res = jsonResource(o.resource);
		const resUrl = jsonString(o.schemaUrl, 'schemaUrl');
		for (const sl of list(o.scopeLogs, 'scopeLogs')) {
			const so = obj(sl, 'ScopeLogs');
			const scope = jsonScope(so.scope);
			const suffix = suffixOf(res, resUrl, scope, jsonString(so.schemaUrl, 'schemaUrl'));
			const origin = { service: res.serviceName, resource: res.values, scope: scope.name };
			for (const lr of list(so.logRecords, 'logRecords')) jsonRecord(obj(lr, 'LogRecord'), suffix, origin, sink);
		}
	}
	return sink;
}

function jsonTime(v: unknown, what: string): bigint {
	return v === undefined || v === null ? 0n : BigInt(jsonInt64Text(v, what));
}

function jsonRecord(o: Record<string, unknown>, suffix: string, origin: { service: string; resource: Record<string, string>; scope: string }, sink: RowSink): void {
	const time = jsonTime(o.timeUnixNano, 'timeUnixNano');
	const observed = jsonTime(o.observedTimeUnixNano, 'observedTimeUnixNano');
	const severityNumber = jsonEnum(o.severityNumber, 'severity');
	const severityText = jsonString(o.severityText, 'severityText');
	const fullBody = o.body === undefined || o.body === null ? '' : jsonAnyValueText(o.body);
	const bodyLimit = sink.limits?.maxLogBodyBytes ?? Infinity;
	const body = fullBody.length > bodyLimit / 4 && Buffer.byteLength(fullBody) > bodyLimit ? truncate(fullBody, bodyLimit).text : fullBody;
	let attrs = jsonAttributesObject(o.attributes);
	const flags = o.flags === undefined || o.flags === null ? 0 : Number(jsonInt64Text(o.flags, 'flags'));
	const traceId = jsonHex(o.traceId);
	const spanId = jsonHex(o.spanId);
	let eventName = jsonString(o.eventName, 'eventName');
	if (!eventName) {
		for (const kv of list(o.attributes, 'attributes')) {
			const a = obj(kv, 'KeyValue');
			if (a.key === 'event.name') eventName = jsonAnyValueText(a.value);
		}
	}
	const problem =
		(traceId === null || spanId === null ? 'traceId and spanId must be hex' : idsProblem(traceId, spanId)) ||
		(severityNumber < 0 ? 'severityNumber must be a SeverityNumber' : '') ||
		(sink.limits ? recordTimeProblem(recordTime(time, observed), sink.limits) : '');
	if (problem) return sink.reject(`log record: ${problem}`);
	const head = '["' + recordTime(time, observed) + '","' + idOrEmpty(traceId ?? '') + '","' + idOrEmpty(spanId ?? '') + '",' + (flags & 0xff) + ',' + q(severityText) + ',' + (severityNumber & 0xff) + ',' + q(body) + ',';
	if (sink.capture) {
		const captured = capturedAttributes(attrs);
		attrs = captured.text;
		sink.cut(head.length + attrs.length - 1, attrs !== '{}');
		sink.items.push(
			emptyItem({ signal: 'log', traceId: idOrEmpty(traceId ?? ''), spanId: idOrEmpty(spanId ?? ''), ...origin, attrs: captured.values, body, eventName })
		);
	}
	sink.rows.push(head + attrs + ',' + q(eventName) + suffix);
}
