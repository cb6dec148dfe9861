/**
 * OTLP AnyValue → the text the ClickHouse exporter stores in its Map(String, String) columns and
 * in log Body: pcommon's Value.AsString() — strings as is, ints and bools as text, doubles in ES6
 * number format (which is what JavaScript's String(n) produces), bytes as base64, arrays and maps
 * as JSON (map keys sorted, HTML characters escaped, as Go's encoding/json does).
 * AnyValue fields: https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/common/v1/common.proto
 */
import { DecodeError } from '../errors';
import { truncate, VALUE_LIMIT } from './limits';
import { expectWire, Reader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire';

/** An int64 kept as exact decimal text inside a decoded array/map value. */
class IntText {
	constructor(readonly text: string) {}
}
type Raw = string | number | boolean | null | IntText | Raw[] | Map<string, Raw>;

const MAX_DEPTH = 32;

// ---- protobuf ---------------------------------------------------------------------------------

/** Read an AnyValue message (reader positioned at its first byte, ending at `end`) as text. */
export function anyValueText(r: Reader, end: number): string {
	// Fast path for the common case, an AnyValue holding only string_value (tag 0x0a).
	const b = r.buf;
	const p = r.pos;
	if (b[p] === 0x0a && p + 1 < end && b[p + 1] < 0x80 && p + 2 + b[p + 1] === end) {
		r.pos = p + 1;
		const outer = r.end;
		r.end = end;
		const s = r.string();
		r.end = outer;
		return s;
	}
	return rawText(anyValueRaw(r, end, 0));
}

function anyValueRaw(r: Reader, end: number, depth: number): Raw {
	if (depth > MAX_DEPTH) throw new DecodeError('AnyValue nested too deeply');
	const outer = r.end;
	r.end = end;
	let v: Raw = null;
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		switch (t >>> 3) {
			case 1:
				expectWire(t, WIRE_LEN, 'AnyValue.string_value');
				v = r.string();
				break;
			case 2:
				expectWire(t, WIRE_VARINT, 'AnyValue.bool_value');
				v = r.bool();
				break;
			case 3:
				expectWire(t, WIRE_VARINT, 'AnyValue.int_value');
				v = new IntText(r.int64Text());
				break;
			case 4:
				expectWire(t, WIRE_I64, 'AnyValue.double_value');
				v = r.double();
				break;
			case 5: {
				expectWire(t, WIRE_LEN, 'AnyValue.array_value');
				const e = r.sub();
				v = arrayRaw(r, e, depth + 1);
				r.pos = e;
				break;
			}
			case 6: {
				expectWire(t, WIRE_LEN, 'AnyValue.kvlist_value');
				const e = r.sub();
				v = kvlistRaw(r, e, depth + 1);
				r.pos = e;
				break;
			}
			case 7:
				expectWire(t, WIRE_LEN, 'AnyValue.bytes_value');
				v = r.bytes().toString('base64');
				break;
			default:
				r.skip(t);
		}
	}
	r.end = outer;
	return v;
}

function arrayRaw(r: Reader, end: number, depth: number): Raw[] {
	const outer = r.end;
	r.end = end;
	const out: Raw[] = [];
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'ArrayValue.values');
			const e = r.sub();
			out.push(anyValueRaw(r, e, depth));
			r.pos = e;
		} else r.skip(t);
	}
	r.end = outer;
	return out;
}

function kvlistRaw(r: Reader, end: number, depth: number): Map<string, Raw> {
	const outer = r.end;
	r.end = end;
	const out = new Map<string, Raw>();
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === 1) {
			expectWire(t, WIRE_LEN, 'KeyValueList.values');
			const e = r.sub();
			let key = '';
			let val: Raw = null;
			r.end = e;
			for (let u = r.tag(); u !== 0; u = r.tag()) {
				if (u >>> 3 === 1) {
					expectWire(u, WIRE_LEN, 'KeyValue.key');
					key = r.string();
				} else if (u >>> 3 === 2) {
					expectWire(u, WIRE_LEN, 'KeyValue.value');
					const ve = r.sub();
					val = anyValueRaw(r, ve, depth);
					r.pos = ve;
				} else r.skip(u);
			}
			r.end = end;
			r.pos = e;
			out.set(key, val);
		} else r.skip(t);
	}
	r.end = outer;
	return out;
}

/** The last KeyValue read by readKeyValue (reused to avoid an allocation per attribute). */
export const KV = { key: '', value: '' };

/** Read one KeyValue message ending at `end` into KV (value rendered as text). */
export function readKeyValue(r: Reader, end: number): void {
	const outer = r.end;
	r.end = end;
	let key = '';
	let val = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'KeyValue.key');
			key = r.string();
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'KeyValue.value');
			const e = r.sub();
			val = anyValueText(r, e);
			r.pos = e;
		} else r.skip(t);
	}
	r.end = outer;
	KV.key = key;
	KV.value = val;
}

// ---- OTLP/JSON --------------------------------------------------------------------------------

/** An OTLP/JSON AnyValue object as text; wrong shapes are DecodeErrors. */
export function jsonAnyValueText(v: unknown): string {
	return rawText(jsonAnyRaw(v, 0));
}

function jsonAnyRaw(v: unknown, depth: number): Raw {
	if (v === undefined || v === null) return null;
	if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError('AnyValue must be an object');
	if (depth > MAX_DEPTH) throw new DecodeError('AnyValue nested too deeply');
	const o = v as Record<string, unknown>;
	if (o.stringValue !== undefined) return jsonString(o.stringValue, 'stringValue');
	if (o.boolValue !== undefined) {
		if (typeof o.boolValue !== 'boolean') throw new DecodeError('boolValue must be a boolean');
		return o.boolValue;
	}
	if (o.intValue !== undefined) return new IntText(jsonInt64Text(o.intValue, 'intValue'));
	if (o.doubleValue !== undefined) return jsonDouble(o.doubleValue);
	if (o.arrayValue !== undefined) {
		const vals = jsonList(o.arrayValue, 'arrayValue');
		return vals.map((x) => jsonAnyRaw(x, depth + 1));
	}
	if (o.kvlistValue !== undefined) {
		const m = new Map<string, Raw>();
		for (const kv of jsonList(o.kvlistValue, 'kvlistValue')) {
			const [k, val] = jsonKeyValue(kv);
			m.set(k, jsonAnyRaw(val, depth + 1));
		}
		return m;
	}
	if (o.bytesValue !== undefined) return jsonBase64(o.bytesValue, 'bytesValue');
	return null;
}

function jsonList(v: unknown, what: string): unknown[] {
	if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(`${what} must be an object`);
	const vals = (v as { values?: unknown }).values;
	if (vals === undefined || vals === null) return [];
	if (!Array.isArray(vals)) throw new DecodeError(`${what}.values must be an array`);
	return vals;
}

function jsonKeyValue(kv: unknown): [string, unknown] {
	if (typeof kv !== 'object' || kv === null || Array.isArray(kv)) throw new DecodeError('KeyValue must be an object');
	const o = kv as { key?: unknown; value?: unknown };
	return [o.key === undefined ? '' : jsonString(o.key, 'key'), o.value];
}

/** OTLP/JSON `attributes` array → JSON object text for a Map(String, String) column. */
export function jsonAttributesObject(v: unknown): string {
	if (v === undefined || v === null) return '{}';
	if (!Array.isArray(v)) throw new DecodeError('attributes must be an array');
	let s = '';
	for (const kv of v) {
		const [k, val] = jsonKeyValue(kv);
		const text = jsonAnyValueText(val);
		const cut = text.length > VALUE_LIMIT.attributeBytes / 4 && Buffer.byteLength(text) > VALUE_LIMIT.attributeBytes;
		s += (s ? ',' : '') + JSON.stringify(k) + ':' + JSON.stringify(cut ? truncate(text, VALUE_LIMIT.attributeBytes).text : text);
	}
	return '{' + s + '}';
}

export function jsonString(v: unknown, what: string): string {
	if (v === undefined || v === null) return '';
	if (typeof v !== 'string') throw new DecodeError(`${what} must be a string`);
	return v;
}

/** int64/uint64 in OTLP/JSON: a decimal string or a number. */
export function jsonInt64Text(v: unknown, what: string): string {
	if (typeof v === 'number') {
		if (!Number.isInteger(v)) throw new DecodeError(`${what} must be an integer`);
		return BigInt(v).toString();
	}
	if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
		const b = BigInt(v);
		if (b < -(2n ** 63n) || b >= 2n ** 64n) throw new DecodeError(`${what} out of range`);
		return b.toString();
	}
	throw new DecodeError(`${what} must be an integer or a decimal string`);
}

function jsonDouble(v: unknown): number {
	if (typeof v === 'number') return v;
	if (v === 'NaN') return NaN;
	if (v === 'Infinity') return Infinity;
	if (v === '-Infinity') return -Infinity;
	if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
	throw new DecodeError('doubleValue must be a number');
}

function jsonBase64(v: unknown, what: string): string {
	if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw new DecodeError(`${what} must be base64`);
	return Buffer.from(v, 'base64').toString('base64');
}

// ---- rendering --------------------------------------------------------------------------------

function rawText(v: Raw): string {
	if (typeof v === 'string') return v;
	if (v === null) return '';
	if (typeof v === 'boolean') return v ? 'true' : 'false';
	if (typeof v === 'number') return goFloat(v);
	if (v instanceof IntText) return v.text;
	return goJson(v);
}

/** Go's float64AsString: ES6 number formatting; non-finite values as strconv's 'g' would print them. */
function goFloat(v: number): string {
	if (Number.isNaN(v)) return 'NaN';
	if (v === Infinity) return '+Inf';
	if (v === -Infinity) return '-Inf';
	return String(v);
}

function goJson(v: Raw): string {
	if (v === null) return 'null';
	if (typeof v === 'string') return goJsonString(v);
	if (typeof v === 'boolean') return v ? 'true' : 'false';
	if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
	if (v instanceof IntText) return v.text;
	if (Array.isArray(v)) return '[' + v.map(goJson).join(',') + ']';
	const keys = [...v.keys()].sort();
	return '{' + keys.map((k) => goJsonString(k) + ':' + goJson(v.get(k) ?? null)).join(',') + '}';
}

const HTML = /[<>&\u2028\u2029]/g;
const HTML_ESC: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goJsonString(s: string): string {
	return JSON.stringify(s).replace(HTML, (c) => HTML_ESC[c]);
}
