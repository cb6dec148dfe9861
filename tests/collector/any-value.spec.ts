/**
 * AnyValue → text as the contrib ClickHouse exporter stores it (pcommon Value.AsString()), for the
 * protobuf and the OTLP/JSON decoders alike.
 */
import { describe, expect, it } from 'vitest';
import { anyValueText, jsonAnyValueText } from '../../collector/signals/any-value';
import { Reader } from '../../collector/signals/wire';
import { anyJson, encodeAny, type TAny } from '../helpers/otlp-encode';

function fromProto(v: TAny): string {
	const b = encodeAny(v);
	return anyValueText(new Reader(b, 0, b.length), b.length);
}

const cases: [string, TAny, string][] = [
	['string', { s: 'SO-1001 "quoted"' }, 'SO-1001 "quoted"'],
	['empty value', { empty: true }, ''],
	['bool', { b: true }, 'true'],
	['int', { i: -42n }, '-42'],
	['int64 max', { i: 2n ** 63n - 1n }, '9223372036854775807'],
	['int64 min', { i: -(2n ** 63n) }, '-9223372036854775808'],
	['double', { d: 1.5 }, '1.5'],
	['whole double', { d: 100 }, '100'],
	['large double (ES6 exponent form)', { d: 1e21 }, '1e+21'],
	['small double', { d: 1e-7 }, '1e-7'],
	['double just above the cutoff', { d: 0.000001 }, '0.000001'],
	['NaN', { d: NaN }, 'NaN'],
	['+Inf', { d: Infinity }, '+Inf'],
	['bytes as base64', { bytes: Buffer.from([1, 2, 255]) }, 'AQL/'],
	['array as JSON', { arr: [{ i: 1n }, { s: 'a' }, { b: false }, { empty: true }, { d: 2.5 }] }, '[1,"a",false,null,2.5]'],
	['map as JSON with sorted keys and HTML-escaped strings', { kv: [{ key: 'b', value: { i: 1n } }, { key: 'a', value: { s: 'x<y&z' } }] }, '{"a":"x\\u003cy\\u0026z","b":1}'],
	['nested', { kv: [{ key: 'lines', value: { arr: [{ kv: [{ key: 'sku', value: { s: 'A-1' } }] }] } }] }, '{"lines":[{"sku":"A-1"}]}']
];

describe.each(cases)('%s', (_name, value, expected) => {
	it('protobuf', () => expect(fromProto(value)).toBe(expected));
	it('OTLP/JSON', () => expect(jsonAnyValueText(anyJson(value))).toBe(expected));
});
