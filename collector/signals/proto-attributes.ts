/**
 * Attribute maps from protobuf KeyValues straight into row bytes: `{"key":"value",…}` members for
 * a Map(String, String) column, string values copied byte for byte.
 */
import { ATTR_PREFIX, FACTS } from '../../src/lib/server/interpret/facts';
import { anyValueText } from './any-value';
import { truncate, VALUE_LIMIT } from './limits';
import type { RowWriter } from './row-writer';
import { expectWire, type Reader, WIRE_LEN } from './wire';

/** Where the last `event.name` attribute's value was found by writeAttributes (logs fall back to it). */
export const EVENT_NAME = { start: -1, end: -1 };
const EVENT_NAME_KEY = Buffer.from('event.name');

/**
 * What the interpretation layer reads of a span's or record's attributes: the keys its rules name
 * and every `integration.*` key, as text. Keys are matched on their bytes against the wanted ones
 * (grouped by length), so a wanted key costs no new string and the others cost a table lookup;
 * native Buffer decoding of a short string costs more than the rest of an attribute (bench:ingest).
 */
export class AttributeCapture {
	private byLength = new Map<number, { bytes: Uint8Array; key: string }[]>();
	/** span events whose attributes rules read (`exception`, and any `event:<name>:…` source) */
	readonly events: Set<string>;
	constructor(wanted: Set<string>, events: Iterable<string> = ['exception']) {
		this.events = new Set(events);
		const keys = new Set([...wanted, ...FACTS.map((f) => ATTR_PREFIX + f)]);
		for (const key of keys) {
			const bytes = Buffer.from(key);
			const list = this.byLength.get(bytes.length) ?? [];
			list.push({ bytes, key });
			this.byLength.set(bytes.length, list);
		}
	}
	/** the key at [s, e) if it is wanted, else null */
	key(b: Buffer, s: number, e: number): string | null {
		const candidates = this.byLength.get(e - s);
		if (candidates) {
			for (const c of candidates) if (sameBytes(b, s, c.bytes)) return c.key;
		}
		// integration.key.<name> and other integration.* keys no rule names: decoded
		if (e - s > 12 && b[s] === 0x69 && b[s + 11] === 0x2e && sameBytes(b, s, INTEGRATION)) return text(b, s, e);
		return null;
	}
}

function sameBytes(b: Buffer, s: number, want: Uint8Array): boolean {
	for (let i = want.length - 1; i >= 0; i--) if (b[s + i] !== want[i]) return false;
	return true;
}

/**
 * The text at [s, e). Decoded natively: a JS loop that appends characters allocates a string per
 * character (measured: 2–4× slower from 14 bytes on, and most of the decode pass's garbage).
 */
export function text(b: Buffer, s: number, e: number): string {
	return s === e ? '' : b.toString('utf8', s, e);
}

const INTEGRATION = Buffer.from('integration.');

/** `syncscope.` — attributes only the collector writes; incoming ones are dropped. */
const RESERVED = Buffer.from('syncscope.');

/** The result of writing an attribute map: how many members were written. */
export const WRITTEN = { members: 0 };

/**
 * The members of a JSON object for the KeyValue fields numbered `field` in [start, end). With
 * `into`, wanted attributes are also collected as text and reserved `syncscope.*` keys are dropped.
 */
export function writeAttributes(r: Reader, w: RowWriter, start: number, end: number, field: number, capture?: AttributeCapture, into?: Record<string, string>): void {
	const outer = r.end;
	r.pos = start;
	r.end = end;
	let members = 0;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 !== field) {
			r.skip(t);
			continue;
		}
		expectWire(t, WIRE_LEN, 'attributes');
		const kvEnd = r.sub();
		locate(r, r.pos, kvEnd);
		if (capture && into && captureLocated(r, capture, into)) {
			r.pos = kvEnd;
			r.end = end;
			continue;
		}
		if (members > 0) w.byte(0x2c);
		members++;
		writeLocated(r, w);
		r.pos = kvEnd;
		r.end = end;
	}
	WRITTEN.members = members;
	r.end = outer;
}

/** Where the key and value of the KeyValue being written sit in the request (valS -1: no value). */
const AT = { keyS: 0, keyE: 0, valS: -1, valE: -1 };

function locate(r: Reader, start: number, end: number): void {
	r.pos = start;
	r.end = end;
	AT.keyS = AT.keyE = 0;
	AT.valS = AT.valE = -1;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'KeyValue.key');
			AT.keyE = r.sub();
			AT.keyS = r.pos;
			r.pos = AT.keyE;
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'KeyValue.value');
			AT.valE = r.sub();
			AT.valS = r.pos;
			r.pos = AT.valE;
		} else r.skip(t);
	}
}

/** Collect the located KeyValue into `into` when wanted; true when its key is reserved (the caller drops it). */
function captureLocated(r: Reader, capture: AttributeCapture, into: Record<string, string>): boolean {
	const b = r.buf;
	const { keyS, keyE, valS, valE } = AT;
	if (keyE - keyS > 10 && b[keyS] === 0x73 && b.compare(RESERVED, 0, 10, keyS, keyS + 10) === 0) return true;
	const key = capture.key(b, keyS, keyE);
	if (key === null) return false;
	if (valS < 0) into[key] = '';
	// AnyValue holding only string_value with a one-byte length (most values)
	else if (b[valS] === 0x0a && valS + 1 < valE && b[valS + 1] < 0x80 && valS + 2 + b[valS + 1] === valE) into[key] = text(b, valS + 2, valE);
	else {
		r.pos = valS;
		into[key] = anyValueText(r, valE);
	}
	return false;
}

/** `"key":"value"` of one KeyValue message; string values are copied, others rendered as text. */
export function writeKeyValue(r: Reader, w: RowWriter, start: number, end: number): void {
	locate(r, start, end);
	writeLocated(r, w);
}

function writeLocated(r: Reader, w: RowWriter): void {
	const b = r.buf;
	const { keyS, keyE, valS, valE } = AT;
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
	if (valE - valS > VALUE_LIMIT.attributeBytes) {
		const text = anyValueText(r, valE);
		return w.jsonString(Buffer.byteLength(text) > VALUE_LIMIT.attributeBytes ? truncate(text, VALUE_LIMIT.attributeBytes).text : text);
	}
	// AnyValue holding only int_value: its decimal text needs no escaping
	if (b[valS] === 0x18) {
		const text = r.int64Text();
		if (r.pos === valE) return w.ascii('"' + text + '"');
		r.pos = valS;
	}
	w.jsonString(anyValueText(r, valE));
}
