/**
 * ExportLogsServiceRequest (protobuf) → otel_logs rows, written straight into bytes like
 * traces-proto.ts: scalar fields first (to validate), then the row in LOG_COLUMNS order.
 * Values match the string decoder in logs.ts (checked by the property tests).
 */
import { anyValueText } from './any-value';
import { decodeResource, decodeScope, EMPTY_RESOURCE, EMPTY_SCOPE, type ResourceInfo, type ScopeInfo } from './common';
import { recordTimeProblem, truncate, withLimits, type IngestLimits } from './limits';
import { LocatedItem } from './located-item';
import { EVENT_NAME, WRITTEN, writeAttributes, type AttributeCapture } from './proto-attributes';
import { allZero, RowWriter } from './row-writer';
import { q, RowSink } from './rows';
import { expectWire, Reader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire';

function suffixOf(res: ResourceInfo, resUrl: string, scope: ScopeInfo, scopeUrl: string): Buffer {
	return Buffer.from(',' + q(res.serviceName) + ',' + q(resUrl) + ',' + res.attributes + ',' + q(scopeUrl) + ',' + q(scope.name) + ',' + q(scope.version) + ',' + scope.attributes + ']\n');
}

/** With a capture, each record's interpretation input is collected too (sink.items). */
export function decodeLogsProto(buf: Buffer, capture: AttributeCapture | null = null, limits: IngestLimits | null = null): RowSink {
	return withLimits(limits, () => decodeLogsProtoWith(buf, new RowSink(capture, limits)));
}

function decodeLogsProtoWith(buf: Buffer, sink: RowSink): RowSink {
	const w = (sink.writer = new RowWriter(Math.max(4096, buf.length * 2)));
	const r = new Reader(buf, 0, buf.length);
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'resource_logs');
			const e = r.sub();
			resourceLogs(r, e, w, sink);
			r.pos = e;
		} else r.skip(t);
	}
	return sink;
}

function resourceLogs(r: Reader, end: number, w: RowWriter, sink: RowSink): void {
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
		scopeLogs(r, scopes[i + 1], res, url, w, sink);
	}
	r.end = outer;
}

function scopeLogs(r: Reader, end: number, res: ResourceInfo, resUrl: string, w: RowWriter, sink: RowSink): void {
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
	const origin: Origin = { service: res.serviceName, resource: res.values, scope: scope.name };
	for (let i = 0; i < records.length; i += 2) logRecord(r, records[i], records[i + 1], suffix, origin, w, sink);
	r.end = outer;
}

/** A record without any time gets the receive time: a 1970 timestamp would fall out of the TTL at once. */
function recordTime(time: bigint, observed: bigint): bigint {
	if (time !== 0n) return time;
	if (observed !== 0n) return observed;
	return BigInt(Date.now()) * 1_000_000n;
}

interface Origin {
	service: string;
	resource: Record<string, string>;
	scope: string;
}

function logRecord(r: Reader, start: number, end: number, suffix: Buffer, origin: Origin, w: RowWriter, sink: RowSink): void {
	const b = r.buf;
	const outer = r.end;
	r.pos = start;
	r.end = end;
	let time = 0n;
	let observed = 0n;
	let severity = 0;
	let flags = 0;
	let sevS = 0, sevE = 0, bodyS = -1, bodyE = -1, tidS = 0, tidE = 0, sidS = 0, sidE = 0, evS = 0, evE = 0;
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
				severity = r.uint32();
				break;
			case 3:
				expectWire(t, WIRE_LEN, 'LogRecord.severity_text');
				sevE = r.sub();
				sevS = r.pos;
				r.pos = sevE;
				break;
			case 5:
				expectWire(t, WIRE_LEN, 'LogRecord.body');
				bodyE = r.sub();
				bodyS = r.pos;
				r.pos = bodyE;
				break;
			case 6:
				expectWire(t, WIRE_LEN, 'LogRecord.attributes');
				r.pos = r.sub();
				break;
			case 8:
				expectWire(t, WIRE_I32, 'LogRecord.flags');
				flags = r.fixed32();
				break;
			case 9:
				expectWire(t, WIRE_LEN, 'LogRecord.trace_id');
				tidE = r.sub();
				tidS = r.pos;
				r.pos = tidE;
				break;
			case 10:
				expectWire(t, WIRE_LEN, 'LogRecord.span_id');
				sidE = r.sub();
				sidS = r.pos;
				r.pos = sidE;
				break;
			case 12:
				expectWire(t, WIRE_LEN, 'LogRecord.event_name');
				evE = r.sub();
				evS = r.pos;
				r.pos = evE;
				break;
			default:
				r.skip(t);
		}
	}
	const tidLen = tidE - tidS;
	const sidLen = sidE - sidS;
	if ((tidLen !== 0 && tidLen !== 16) || (sidLen !== 0 && sidLen !== 8)) {
		r.end = outer;
		const problem = tidLen !== 0 && tidLen !== 16 ? `trace_id must be 16 bytes or empty (got ${tidLen})` : `span_id must be 8 bytes or empty (got ${sidLen})`;
		return sink.reject(`log record: ${problem}`);
	}
	const at = recordTime(time, observed);
	const timeProblem = sink.limits ? recordTimeProblem(at, sink.limits) : '';
	if (timeProblem) {
		r.end = outer;
		return sink.reject(`log record: ${timeProblem}`);
	}
	w.ascii('["' + at + '",');
	if (tidLen === 0 || allZero(b, tidS, tidE)) w.ascii('""');
	else w.hexString(b, tidS, tidE);
	w.byte(0x2c);
	if (sidLen === 0 || allZero(b, sidS, sidE)) w.ascii('""');
	else w.hexString(b, sidS, sidE);
	w.ascii(',' + (flags & 0xff) + ',');
	w.jsonBytes(b, sevS, sevE);
	w.ascii(',' + (severity & 0xff) + ',');
	const capture = sink.capture;
	let bodyText = '';
	const bodyLimit = sink.limits?.maxLogBodyBytes ?? Infinity;
	if (bodyS < 0) w.ascii('""');
	else if (bodyE - bodyS > bodyLimit) {
		r.pos = bodyS;
		const full = anyValueText(r, bodyE);
		bodyText = Buffer.byteLength(full) > bodyLimit ? truncate(full, bodyLimit).text : full;
		w.jsonString(bodyText);
	} else if (b[bodyS] === 0x0a && bodyS + 1 < bodyE && b[bodyS + 1] < 0x80 && bodyS + 2 + b[bodyS + 1] === bodyE) {
		w.jsonBytes(b, bodyS + 2, bodyE);
		if (capture) bodyText = b.toString('utf8', bodyS + 2, bodyE);
	} else {
		r.pos = bodyS;
		bodyText = anyValueText(r, bodyE);
		w.jsonString(bodyText);
	}
	w.ascii(',{');
	EVENT_NAME.start = -1;
	let item: LocatedItem | null = null;
	if (capture) {
		item = new LocatedItem(b, 'log', tidLen === 0 || allZero(b, tidS, tidE) ? '' : b.toString('hex', tidS, tidE), origin.service, origin.scope, origin.resource);
		item.ids(sidS, sidE, 0, 0);
		item.body = bodyText;
	}
	if (item) {
		writeAttributes(r, w, start, end, 6, capture!, item);
		sink.cut(w.pos, WRITTEN.members > 0);
	} else writeAttributes(r, w, start, end, 6);
	w.ascii('},');
	if (evE > evS) {
		w.jsonBytes(b, evS, evE);
		if (item) item.eventName = b.toString('utf8', evS, evE);
	} else if (EVENT_NAME.start >= 0) {
		// the `event.name` attribute (the convention before LogRecord.event_name existed)
		r.pos = EVENT_NAME.start;
		r.end = EVENT_NAME.end;
		const text = anyValueText(r, EVENT_NAME.end);
		w.jsonString(text);
		if (item) item.eventName = text;
	} else w.ascii('""');
	if (item) sink.items.push(item);
	w.ensure(suffix.length);
	w.pos += suffix.copy(w.buf, w.pos);
	w.rows++;
	r.end = outer;
}
