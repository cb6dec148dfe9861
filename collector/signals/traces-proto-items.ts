/**
 * What the interpretation layer reads of a protobuf span beyond its scalar fields and attributes:
 * the events rules name (with their attributes) and the links (shared facts follow them).
 */
import type { Item } from '../../src/lib/server/interpret/facts';
import { KV, readKeyValue } from './any-value';
import { expectWire, type Reader, WIRE_LEN } from './wire';

/** The span's events the rules read (`exception` and named ones) with their attributes. */
export function eventsRead(r: Reader, start: number, end: number, wanted: Set<string>): Item['events'] {
	const out: Item['events'] = [];
	r.pos = start;
	r.end = end;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== 11) {
			r.skip(t);
			continue;
		}
		const evEnd = r.sub();
		r.end = evEnd;
		let name = '';
		const attrs: Record<string, string> = {};
		for (let u = r.tag(); u !== 0; u = r.tag()) {
			const f = u >>> 3;
			if (f === 2) {
				expectWire(u, WIRE_LEN, 'Event.name');
				name = r.string();
			} else if (f === 3) {
				expectWire(u, WIRE_LEN, 'Event.attributes');
				const e = r.sub();
				readKeyValue(r, e);
				attrs[KV.key] = KV.value;
				r.pos = e;
			} else r.skip(u);
		}
		if (wanted.has(name)) out.push({ name, attrs });
		r.pos = evEnd;
		r.end = end;
	}
	return out;
}

/** The span's links as hex ids (shared facts follow links across traces). */
export function linkIds(r: Reader, start: number, end: number): Item['links'] {
	const b = r.buf;
	const out: Item['links'] = [];
	r.pos = start;
	r.end = end;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== 13) {
			r.skip(t);
			continue;
		}
		const lnEnd = r.sub();
		r.end = lnEnd;
		let traceId = '';
		let spanId = '';
		for (let u = r.tag(); u !== 0; u = r.tag()) {
			const f = u >>> 3;
			if (f === 1 || f === 2) {
				expectWire(u, WIRE_LEN, 'Link field');
				const e = r.sub();
				const hex = b.toString('hex', r.pos, e);
				if (f === 1) traceId = hex;
				else spanId = hex;
				r.pos = e;
			} else r.skip(u);
		}
		out.push({ traceId, spanId });
		r.pos = lnEnd;
		r.end = end;
	}
	return out;
}
