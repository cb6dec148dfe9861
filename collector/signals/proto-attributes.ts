/**
 * Attribute maps from protobuf KeyValues straight into row bytes: `{"key":"value",…}` members for
 * a Map(String, String) column, string values copied byte for byte.
 */
import { anyValueText } from './any-value';
import type { RowWriter } from './row-writer';
import { expectWire, type Reader, WIRE_LEN } from './wire';

/** Where the last `event.name` attribute's value was found by writeAttributes (logs fall back to it). */
export const EVENT_NAME = { start: -1, end: -1 };
const EVENT_NAME_KEY = Buffer.from('event.name');

/** The members of a JSON object for the KeyValue fields numbered `field` in [start, end). */
export function writeAttributes(r: Reader, w: RowWriter, start: number, end: number, field: number): void {
	const outer = r.end;
	r.pos = start;
	r.end = end;
	let first = true;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== field) {
			r.skip(t);
			continue;
		}
		expectWire(t, WIRE_LEN, 'attributes');
		const kvEnd = r.sub();
		if (!first) w.byte(0x2c);
		first = false;
		writeKeyValue(r, w, r.pos, kvEnd);
		r.pos = kvEnd;
		r.end = end;
	}
	r.end = outer;
}

/** `"key":"value"` of one KeyValue message; string values are copied, others rendered as text. */
export function writeKeyValue(r: Reader, w: RowWriter, start: number, end: number): void {
	const b = r.buf;
	r.pos = start;
	r.end = end;
	let keyS = 0, keyE = 0, valS = -1, valE = -1;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'KeyValue.key');
			keyE = r.sub();
			keyS = r.pos;
			r.pos = keyE;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'KeyValue.value');
			valE = r.sub();
			valS = r.pos;
			r.pos = valE;
		} else r.skip(t);
	}
	if (keyE - keyS === 10 && b.compare(EVENT_NAME_KEY, 0, 10, keyS, keyE) === 0) {
		EVENT_NAME.start = valS;
		EVENT_NAME.end = valE;
	}
	w.jsonBytes(b, keyS, keyE);
	w.byte(0x3a);
	if (valS < 0) return w.ascii('""');
	// AnyValue holding only string_value with a one-byte length: copy its bytes
	if (b[valS] === 0x0a && valS + 1 < valE && b[valS + 1] < 0x80 && valS + 2 + b[valS + 1] === valE) return w.jsonBytes(b, valS + 2, valE);
	r.pos = valS;
	// AnyValue holding only int_value: its decimal text needs no escaping
	if (b[valS] === 0x18) {
		const text = r.int64Text();
		if (r.pos === valE) return w.ascii('"' + text + '"');
		r.pos = valS;
	}
	w.jsonString(anyValueText(r, valE));
}
