/**
 * Resource and InstrumentationScope, shared by both signals (protobuf and OTLP/JSON).
 * resource.proto / common.proto in opentelemetry-proto.
 */
import { DecodeError } from '../errors';
import { jsonAttributesObject, jsonString, KV, readKeyValue } from './any-value';
import { q } from './rows';
import { expectWire, Reader, WIRE_LEN } from './wire';

export interface ResourceInfo {
	serviceName: string;
	/** JSON object text of the attributes */
	attributes: string;
	/** the attributes as text values (what interpretation rules read as resource:<name>) */
	values: Record<string, string>;
}
export interface ScopeInfo {
	name: string;
	version: string;
	attributes: string;
}

export const EMPTY_RESOURCE: ResourceInfo = { serviceName: '', attributes: '{}', values: {} };
export const EMPTY_SCOPE: ScopeInfo = { name: '', version: '', attributes: '{}' };

/** Attributes (repeated KeyValue at field `field`) of the message ending at `end` as JSON object text. */
function attributesAt(r: Reader, end: number, field: number, onKey?: (k: string, v: string) => void): string {
	const outer = r.end;
	r.end = end;
	let s = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		if (t >>> 3 === field) {
			expectWire(t, WIRE_LEN, 'attributes');
			const e = r.sub();
			readKeyValue(r, e);
			r.pos = e;
			if (onKey) onKey(KV.key, KV.value);
			s += (s.length > 0 ? ',' : '') + q(KV.key) + ':' + q(KV.value);
		} else r.skip(t);
	}
	r.end = outer;
	return '{' + s + '}';
}

export function decodeResource(r: Reader, end: number): ResourceInfo {
	let serviceName = '';
	const values: Record<string, string> = {};
	const attributes = attributesAt(r, end, 1, (k, v) => {
		if (k === 'service.name') serviceName = v;
		values[k] = v;
	});
	return { serviceName, attributes, values };
}

export function decodeScope(r: Reader, end: number): ScopeInfo {
	const start = r.pos;
	const outer = r.end;
	r.end = end;
	let name = '';
	let version = '';
	for (let t = r.tag(); t !== 0; t = r.tag()) {
		const f = t >>> 3;
		if (f === 1) {
			expectWire(t, WIRE_LEN, 'InstrumentationScope.name');
			name = r.string();
		} else if (f === 2) {
			expectWire(t, WIRE_LEN, 'InstrumentationScope.version');
			version = r.string();
		} else r.skip(t);
	}
	r.end = outer;
	r.pos = start;
	const attributes = attributesAt(r, end, 3);
	return { name, version, attributes };
}

// ---- OTLP/JSON --------------------------------------------------------------------------------

export function obj(v: unknown, what: string): Record<string, unknown> {
	if (v === undefined || v === null) return {};
	if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`${what} must be an object`);
	return v as Record<string, unknown>;
}

export function list(v: unknown, what: string): unknown[] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v)) throw new DecodeError(`${what} must be an array`);
	return v;
}

export function jsonResource(v: unknown): ResourceInfo {
	const o = obj(v, 'resource');
	let serviceName = '';
	for (const kv of list(o.attributes, 'resource.attributes')) {
		const a = obj(kv, 'KeyValue');
		if (a.key === 'service.name') serviceName = jsonString(obj(a.value, 'AnyValue').stringValue, 'stringValue');
	}
	const attributes = jsonAttributesObject(o.attributes);
	return { serviceName, attributes, values: JSON.parse(attributes) as Record<string, string> };
}

export function jsonScope(v: unknown): ScopeInfo {
	const o = obj(v, 'scope');
	return {
		name: jsonString(o.name, 'scope.name'),
		version: jsonString(o.version, 'scope.version'),
		attributes: jsonAttributesObject(o.attributes)
	};
}

/** Lowercase hex of an OTLP/JSON id (hex-encoded per the OTLP/JSON mapping); null when not hex. */
export function jsonHex(v: unknown): string | null {
	if (v === undefined || v === null || v === '') return '';
	if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) return null;
	return v.toLowerCase();
}
