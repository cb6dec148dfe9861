/**
 * ExportLogsServiceRequest → otel_logs rows (JSONCompactEachRow), protobuf and OTLP/JSON, as the
 * contrib ClickHouse exporter writes them: Timestamp = time_unix_nano or, when 0, the observed
 * time; Body = AnyValue.AsString(); EventName = the record's event_name, else its `event.name`
 * attribute (the older convention our telemetry contract uses).
 * logs.proto: https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/logs/v1/logs.proto
 */
import { anyValueText, jsonAnyValueText, jsonAttributesObject, jsonInt64Text, jsonString, KV, readKeyValue } from './any-value';
import { decodeResource, decodeScope, EMPTY_RESOURCE, EMPTY_SCOPE, jsonHex, jsonResource, jsonScope, list, obj, type ResourceInfo, type ScopeInfo } from './common';
import { idOrEmpty, jsonEnum, q, RowSink } from './rows';
import { expectWire, Reader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire';

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

// ---- protobuf ---------------------------------------------------------------------------------

export function decodeLogsProto(buf: Buffer): RowSink {
	const sink = new RowSink();
	const r = new Reader(buf, 0, buf.length);
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'resource_logs');
			const e = r.sub();
			resourceLogs(r, e, sink);
			r.pos = e;
		} else r.skip(t);
	}
	return sink;
}

function resourceLogs(r: Reader, end: number, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let res = EMPTY_RESOURCE;
	let url = '';
	const scopes: number[] = [];
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'ResourceLogs.resource');
			const e = r.sub();
			res = decodeResource(r, e);
			r.pos = e;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'ResourceLogs.scope_logs');
			const e = r.sub();
			scopes.push(r.pos, e);
			r.pos = e;
		} else if (f === 3) {
			expectWire(t, WIRE_LEN, 'ResourceLogs.schema_url');
			url = r.string();
		} else r.skip(t);
	}
	for (let i = 0; i < scopes.length; i += 2) {
		r.pos = scopes[i];
		scopeLogs(r, scopes[i + 1], res, url, sink);
	}
	r.end = outer;
}

function scopeLogs(r: Reader, end: number, res: ResourceInfo, resUrl: string, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let scope = EMPTY_SCOPE;
	let url = '';
	const records: number[] = [];
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'ScopeLogs.scope');
			const e = r.sub();
			scope = decodeScope(r, e);
			r.pos = e;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'ScopeLogs.log_records');
			const e = r.sub();
			records.push(r.pos, e);
			r.pos = e;
		} else if (f === 3) {
			expectWire(t, WIRE_LEN, 'ScopeLogs.schema_url');
			url = r.string();
		} else r.skip(t);
	}
	const suffix = suffixOf(res, resUrl, scope, url);
	for (let i = 0; i < records.length; i += 2) {
		r.pos = records[i];
		logRecord(r, records[i + 1], suffix, sink);
	}
	r.end = outer;
}

function logRecord(r: Reader, end: number, suffix: string, sink: RowSink): void {
	const outer = r.end;
	r.end = end;
	let time = 0n;
	let observed = 0n;
	let severityNumber = 0;
	let severityText = '';
	let body = '';
	let attrs = '';
	let flags = 0;
	let traceId = '';
	let spanId = '';
	let eventName = '';
	let eventAttr = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		switch (t >>> 3) {
			case 1:
				expectWire(t, WIRE_I64, 'LogRecord.time_unix_nano');
				time = r.fixed64();
				break;
			case 11:
				expectWire(t, WIRE_I64, 'LogRecord.observed_time_unix_nano');
				observed = r.fixed64();
				break;
			case 2:
				expectWire(t, WIRE_VARINT, 'LogRecord.severity_number');
				severityNumber = r.uint32();
				break;
			case 3:
				expectWire(t, WIRE_LEN, 'LogRecord.severity_text');
				severityText = r.string();
				break;
			case 5: {
				expectWire(t, WIRE_LEN, 'LogRecord.body');
				const e = r.sub();
				body = anyValueText(r, e);
				r.pos = e;
				break;
			}
			case 6: {
				expectWire(t, WIRE_LEN, 'LogRecord.attributes');
				const e = r.sub();
				readKeyValue(r, e);
				r.pos = e;
				if (KV.key === 'event.name') eventAttr = KV.value;
				attrs += (attrs.length > 0 ? ',' : '') + q(KV.key) + ':' + q(KV.value);
				break;
			}
			case 8:
				expectWire(t, WIRE_I32, 'LogRecord.flags');
				flags = r.fixed32();
				break;
			case 9:
				expectWire(t, WIRE_LEN, 'LogRecord.trace_id');
				traceId = r.hex();
				break;
			case 10:
				expectWire(t, WIRE_LEN, 'LogRecord.span_id');
				spanId = r.hex();
				break;
			case 12:
				expectWire(t, WIRE_LEN, 'LogRecord.event_name');
				eventName = r.string();
				break;
			default:
				r.skip(t);
		}
	}
	r.end = outer;
	const problem = idsProblem(traceId, spanId);
	if (problem) return sink.reject(`log record: ${problem}`);
	sink.rows.push(
		'["' + recordTime(time, observed) + '","' + idOrEmpty(traceId) + '","' + idOrEmpty(spanId) + '",' + (flags & 0xff) + ',' + q(severityText) + ',' + (severityNumber & 0xff) + ',' + q(body) + ',{' + attrs + '},' + q(eventName || eventAttr) + suffix
	);
}

// ---- OTLP/JSON --------------------------------------------------------------------------------

export function decodeLogsJson(body: unknown): RowSink {
	const sink = new RowSink();
	for (const rl of list(obj(body, 'request').resourceLogs, 'resourceLogs')) {
		const o = obj(rl, 'ResourceLogs');
		const res = jsonResource(o.resource);
		const resUrl = jsonString(o.schemaUrl, 'schemaUrl');
		for (const sl of list(o.scopeLogs, 'scopeLogs')) {
			const so = obj(sl, 'ScopeLogs');
			const suffix = suffixOf(res, resUrl, jsonScope(so.scope), jsonString(so.schemaUrl, 'schemaUrl'));
			for (const lr of list(so.logRecords, 'logRecords')) jsonRecord(obj(lr, 'LogRecord'), suffix, sink);
		}
	}
	return sink;
}

function jsonTime(v: unknown, what: string): bigint {
	return v === undefined || v === null ? 0n : BigInt(jsonInt64Text(v, what));
}

function jsonRecord(o: Record<string, unknown>, suffix: string, sink: RowSink): void {
	const time = jsonTime(o.timeUnixNano, 'timeUnixNano');
	const observed = jsonTime(o.observedTimeUnixNano, 'observedTimeUnixNano');
	const severityNumber = jsonEnum(o.severityNumber, 'severity');
	const severityText = jsonString(o.severityText, 'severityText');
	const body = o.body === undefined || o.body === null ? '' : jsonAnyValueText(o.body);
	const attrs = jsonAttributesObject(o.attributes);
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
		(severityNumber < 0 ? 'severityNumber must be a SeverityNumber' : '');
	if (problem) return sink.reject(`log record: ${problem}`);
	sink.rows.push(
		'["' + recordTime(time, observed) + '","' + idOrEmpty(traceId ?? '') + '","' + idOrEmpty(spanId ?? '') + '",' + (flags & 0xff) + ',' + q(severityText) + ',' + (severityNumber & 0xff) + ',' + q(body) + ',' + attrs + ',' + q(eventName) + suffix
	);
}
