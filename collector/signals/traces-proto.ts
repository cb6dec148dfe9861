/**
 * ExportTraceServiceRequest (protobuf) → otel_traces rows, written byte by byte into a RowWriter:
 * the hot path of the collector. Each span is read twice: once for its scalar fields (to validate
 * it before writing anything), then once per output column, in TRACE_COLUMNS order, re-walking
 * the span's repeated fields (attributes, events, links) in place, so field order on the wire
 * does not matter and nothing is collected into objects.
 * Values match the string decoder in traces.ts (checked by the property tests).
 */
import { decodeResource, decodeScope, EMPTY_RESOURCE, EMPTY_SCOPE, type ResourceInfo, type ScopeInfo } from './common';
import { eventsRead, linkIds } from './traces-proto-items';
import { spanTimeProblem, withLimits, type IngestLimits } from './limits';
import { interned } from './intern';
import { LocatedItem } from './located-item';
import { text, WRITTEN, writeAttributes, type AttributeCapture } from './proto-attributes';
import { allZero, hex, RowWriter } from './row-writer';
import { q, RowSink, SPAN_KINDS, STATUS_CODES } from './rows';
import { expectWire, Reader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire';

function suffixOf(res: ResourceInfo, scope: ScopeInfo): Buffer {
	return Buffer.from(',' + q(res.serviceName) + ',' + res.attributes + ',' + q(scope.name) + ',' + q(scope.version) + ']\n');
}

/** With a capture, each span's interpretation input is collected too (sink.items). */
export function decodeTracesProto(buf: Buffer, capture: AttributeCapture | null = null, limits: IngestLimits | null = null): RowSink {
	return withLimits(limits, () => decodeTracesProtoWith(buf, new RowSink(capture, limits)));
}

function decodeTracesProtoWith(buf: Buffer, sink: RowSink): RowSink {
	const w = (sink.writer = new RowWriter(Math.max(4096, buf.length * 2)));
	const r = new Reader(buf, 0, buf.length);
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'resource_spans');
			const e = r.sub();
			resourceSpans(r, e, w, sink);
			r.pos = e;
		} else r.skip(t);
	}
	return sink;
}

function resourceSpans(r: Reader, end: number, w: RowWriter, sink: RowSink): void {
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
		scopeSpans(r, scopes[i + 1], res, w, sink);
	}
	r.end = outer;
}

function scopeSpans(r: Reader, end: number, res: ResourceInfo, w: RowWriter, sink: RowSink): void {
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
	const origin: Origin = { service: res.serviceName, resource: res.values, scope: scope.name };
	for (let i = 0; i < spans.length; i += 2) span(r, spans[i], spans[i + 1], suffix, origin, w, sink);
	r.end = outer;
}

interface Origin {
	service: string;
	resource: Record<string, string>;
	scope: string;
}

function span(r: Reader, start: number, end: number, suffix: Buffer, origin: Origin, w: RowWriter, sink: RowSink): void {
	const b = r.buf;
	const outer = r.end;
	r.pos = start;
	r.end = end;
	let tidS = 0, tidE = 0, sidS = 0, sidE = 0, parS = 0, parE = 0, tsS = 0, tsE = 0, nameS = 0, nameE = 0;
	let msgS = 0, msgE = 0;
	let kind = 0;
	let code = 0;
	let t0 = 0n;
	let t1 = 0n;
	let events = false;
	let links = false;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		switch (t >>> 3) {
			case 1:
				expectWire(t, WIRE_LEN, 'Span.trace_id');
				tidE = r.sub();
				tidS = r.pos;
				r.pos = tidE;
				break;
			case 2:
				expectWire(t, WIRE_LEN, 'Span.span_id');
				sidE = r.sub();
				sidS = r.pos;
				r.pos = sidE;
				break;
			case 3:
				expectWire(t, WIRE_LEN, 'Span.trace_state');
				tsE = r.sub();
				tsS = r.pos;
				r.pos = tsE;
				break;
			case 4:
				expectWire(t, WIRE_LEN, 'Span.parent_span_id');
				parE = r.sub();
				parS = r.pos;
				r.pos = parE;
				break;
			case 5:
				expectWire(t, WIRE_LEN, 'Span.name');
				nameE = r.sub();
				nameS = r.pos;
				r.pos = nameE;
				break;
			case 6:
				expectWire(t, WIRE_VARINT, 'Span.kind');
				kind = r.uint32();
				break;
			case 7:
				expectWire(t, WIRE_I64, 'Span.start_time_unix_nano');
				t0 = r.fixed64();
				break;
			case 8:
				expectWire(t, WIRE_I64, 'Span.end_time_unix_nano');
				t1 = r.fixed64();
				break;
			case 9:
				expectWire(t, WIRE_LEN, 'Span.attributes');
				r.pos = r.sub();
				break;
			case 11:
				expectWire(t, WIRE_LEN, 'Span.events');
				r.pos = r.sub();
				events = true;
				break;
			case 13:
				expectWire(t, WIRE_LEN, 'Span.links');
				r.pos = r.sub();
				links = true;
				break;
			case 15: {
				expectWire(t, WIRE_LEN, 'Span.status');
				const e = r.sub();
				r.end = e;
				for (let u = r.tag(); u !== 0; u = r.tag()) {
					if (u >>> 3 === 2) {
						expectWire(u, WIRE_LEN, 'Status.message');
						msgE = r.sub();
						msgS = r.pos;
						r.pos = msgE;
					} else if (u >>> 3 === 3) {
						expectWire(u, WIRE_VARINT, 'Status.code');
						code = r.uint32();
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
	const problem =
		tidE - tidS !== 16
			? `trace_id must be 16 bytes (got ${tidE - tidS})`
			: allZero(b, tidS, tidE)
				? 'trace_id must not be all zeros'
				: sidE - sidS !== 8
					? `span_id must be 8 bytes (got ${sidE - sidS})`
					: allZero(b, sidS, sidE)
						? 'span_id must not be all zeros'
						: parE - parS !== 0 && parE - parS !== 8
							? 'parent_span_id must be 8 bytes or empty'
							: t1 < t0
								? 'end_time_unix_nano is before start_time_unix_nano'
								: sink.limits
									? spanTimeProblem(t0, t1, sink.limits)
									: '';
	if (problem) {
		r.end = outer;
		return sink.reject(`span ${b.toString('hex', sidS, sidE) || '?'}: ${problem}`);
	}
	w.ascii('["' + t0 + '",');
	w.hexString(b, tidS, tidE);
	w.byte(0x2c);
	w.hexString(b, sidS, sidE);
	w.byte(0x2c);
	if (parE === parS || allZero(b, parS, parE)) w.ascii('""');
	else w.hexString(b, parS, parE);
	w.byte(0x2c);
	w.jsonBytes(b, tsS, tsE);
	w.byte(0x2c);
	w.jsonBytes(b, nameS, nameE);
	w.ascii(',"' + (SPAN_KINDS[kind] ?? '') + '",{');
	const capture = sink.capture;
	if (capture) {
		const item = new LocatedItem(b, 'span', hex(b, tidS, tidE), origin.service, origin.scope, origin.resource);
		item.ids(sidS, sidE, parS, parE);
		item.name = interned(b, nameS, nameE);
		item.kind = SPAN_KINDS[kind] ?? '';
		item.status = STATUS_CODES[code] ?? '';
		if (msgE > msgS) item.statusMessage = text(b, msgS, msgE);
		writeAttributes(r, w, start, end, 9, capture, item);
		sink.cut(w.pos, WRITTEN.members > 0);
		if (events) item.events = eventsRead(r, start, end, capture.events);
		if (links) item.links = linkIds(r, start, end);
		sink.items.push(item);
	} else writeAttributes(r, w, start, end, 9);
	w.ascii('},' + (t1 - t0) + ',"' + (STATUS_CODES[code] ?? '') + '",');
	w.jsonBytes(b, msgS, msgE);
	for (let col = 0; col < 3; col++) {
		w.ascii(',[');
		if (events) writeEventColumn(r, w, start, end, col);
		w.byte(0x5d);
	}
	for (let col = 0; col < 4; col++) {
		w.ascii(',[');
		if (links) writeLinkColumn(r, w, start, end, col);
		w.byte(0x5d);
	}
	w.ensure(suffix.length);
	w.pos += suffix.copy(w.buf, w.pos);
	w.rows++;
	r.end = outer;
}

/** Events.Timestamp (0), Events.Name (1) or Events.Attributes (2) of the span in [start, end). */
function writeEventColumn(r: Reader, w: RowWriter, start: number, end: number, col: number): void {
	const b = r.buf;
	r.pos = start;
	r.end = end;
	let first = true;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== 11) {
			r.skip(t);
			continue;
		}
		const evEnd = r.sub();
		const evStart = r.pos;
		if (!first) w.byte(0x2c);
		first = false;
		if (col === 2) {
			w.byte(0x7b);
			writeAttributes(r, w, evStart, evEnd, 3);
			w.byte(0x7d);
		} else {
			r.end = evEnd;
			let time = 0n;
			let nameS = 0, nameE = 0;
			for (let u = r.tag(); u !== 0; u = r.tag()) {
				const f = u >>> 3;
				if (f === 1) {
					expectWire(u, WIRE_I64, 'Event.time_unix_nano');
					time = r.fixed64();
				} else if (f === 2) {
					expectWire(u, WIRE_LEN, 'Event.name');
					nameE = r.sub();
					nameS = r.pos;
					r.pos = nameE;
				} else if (f === 3) {
					expectWire(u, WIRE_LEN, 'Event.attributes');
					r.pos = r.sub();
				} else r.skip(u);
			}
			if (col === 0) w.ascii('"' + time + '"');
			else w.jsonBytes(b, nameS, nameE);
		}
		r.pos = evEnd;
		r.end = end;
	}
}

/** Links.TraceId (0), SpanId (1), TraceState (2) or Attributes (3) of the span in [start, end). */
function writeLinkColumn(r: Reader, w: RowWriter, start: number, end: number, col: number): void {
	const b = r.buf;
	r.pos = start;
	r.end = end;
	let first = true;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== 13) {
			r.skip(t);
			continue;
		}
		const lnEnd = r.sub();
		const lnStart = r.pos;
		if (!first) w.byte(0x2c);
		first = false;
		if (col === 3) {
			w.byte(0x7b);
			writeAttributes(r, w, lnStart, lnEnd, 4);
			w.byte(0x7d);
		} else {
			r.end = lnEnd;
			let s = 0, e = 0;
			for (let u = r.tag(); u !== 0; u = r.tag()) {
				const f = u >>> 3;
				if (f === col + 1) {
					expectWire(u, WIRE_LEN, 'Link field');
					e = r.sub();
					s = r.pos;
					r.pos = e;
				} else if (f >= 1 && f <= 4) {
					expectWire(u, WIRE_LEN, 'Link field');
					r.pos = r.sub();
				} else r.skip(u);
			}
			if (col === 2) w.jsonBytes(b, s, e);
			else if (e === s || allZero(b, s, e)) w.ascii('""');
			else w.hexString(b, s, e);
		}
		r.pos = lnEnd;
		r.end = end;
	}
}
