/**
 * Attribute maps from protobuf KeyValues straight into row bytes: `{"key":"value",…}` members for
 * a Map(String, String) column, string values copied byte for byte.
 */
import { FACT_ATTRS } from '../../src/lib/server/interpret/facts';
import { anyValueText } from './any-value';
import { interned } from './intern';
import type { LocatedItem } from './located-item';
import { truncate, VALUE_LIMIT } from './limits';
import type { RowWriter } from './row-writer';
import { expectWire, type Reader, WIRE_LEN } from './wire';

/** Where the last `event.name` attribute's value was found by writeAttributes (logs fall back to it). */
export const EVENT_NAME = { start: -1, end: -1 };
const EVENT_NAME_KEY = Buffer.from('event.name');

/**
 * What the interpretation layer reads of a span's or record's attributes: the keys its rules name
 * and every `integration.*` key, noted where they are (located-item.ts decodes a value when read).
 * Keys are matched on their bytes against the wanted ones (grouped by length), so a wanted key
 * costs no new string and the others cost a table lookup.
 */
export class AttributeCapture {
	/** wanted keys by their length in bytes */
	private byLength: (Wanted[] | undefined)[] = [];
	/** span events whose attributes rules read (`exception`, and any `event:<name>:…` source) */
	readonly events: Set<string>;
	constructor(wanted: Set<string>, events: Iterable<string> = ['exception']) {
		this.events = new Set(events);
		// keys are the strings the engine and the rules pass (FACT_ATTRS', V8's table's): found by identity
		for (const key of new Set([...FACT_ATTRS, ...wanted])) {
			const bytes = Buffer.from(key);
			const fact = FACT_ATTRS.indexOf(key);
			(this.byLength[bytes.length] ??= []).push(new Wanted(bytes, fact >= 0 ? FACT_ATTRS[fact] : internalized(key), fact, key.startsWith(KEY_ATTR_PREFIX)));
		}
	}
	/** the wanted key at [s, e), else null (compared from the end: keys share their prefixes) */
	wanted(b: Buffer, s: number, e: number): Wanted | null {
		const candidates = this.byLength[e - s];
		if (candidates === undefined) return null;
		for (let k = 0; k < candidates.length; k++) {
			const want = candidates[k].bytes;
			let i = want.length - 1;
			while (i >= 0 && b[s + i] === want[i]) i--;
			if (i < 0) return candidates[k];
		}
		return null;
	}
}

/** A key the rules read: its text, and its index in FACTS when it is a fact's attribute (else -1). */
class Wanted {
	constructor(
		readonly bytes: Uint8Array,
		readonly key: string,
		readonly fact: number,
		/** an `integration.key.*` attribute (a business key the client states) */
		readonly isKey: boolean
	) {}
}

const KEY_ATTR_PREFIX = 'integration.key.';

/** The same string from V8's string table: attribute keys are then compared by identity first. */
function internalized(s: string): string {
	return Object.keys({ [s]: 0 })[0];
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
const INTEGRATION_KEY = Buffer.from(KEY_ATTR_PREFIX);

/** `syncscope.` — attributes only the collector writes; incoming ones are dropped. */
const RESERVED = Buffer.from('syncscope.');

/** The result of writing an attribute map: how many members were written. */
export const WRITTEN = { members: 0 };

/**
 * The members of a JSON object for the KeyValue fields numbered `field` in [start, end). With
 * `into`, wanted attributes are also collected as text and reserved `syncscope.*` keys are dropped.
 */
export function writeAttributes(r: Reader, w: RowWriter, start: number, end: number, field: number, capture?: AttributeCapture, into?: LocatedItem): void {
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

/** Note the located KeyValue on `into` when wanted; true when its key is reserved (the caller drops it). */
function captureLocated(r: Reader, capture: AttributeCapture, into: LocatedItem): boolean {
	const b = r.buf;
	const { keyS, keyE, valS, valE } = AT;
	if (keyE - keyS > 10 && b[keyS] === 0x73 && sameBytes(b, keyS, RESERVED)) return true;
	const c = capture.wanted(b, keyS, keyE);
	if (c !== null) into.add(c.key, c.fact, c.isKey, valS, valE);
	// integration.key.<name> and other integration.* keys no rule names
	else if (keyE - keyS > 12 && b[keyS] === 0x69 && b[keyS + 11] === 0x2e && sameBytes(b, keyS, INTEGRATION)) {
		const isKey = keyE - keyS >= 16 && sameBytes(b, keyS, INTEGRATION_KEY);
		into.add(interned(b, keyS, keyE), -1, isKey, valS, valE);
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
	if (keyE - keyS === 10 && sameBytes(b, keyS, EVENT_NAME_KEY)) {
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
