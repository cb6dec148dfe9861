/**
 * Reading values out of an item: sources (`attr:…`, `body`, …), JSON paths, patterns. Attribute
 * values arrive as stored text: an array-valued attribute (HTTP headers under the semantic
 * conventions: `http.request.header.x-correlation-id = ["SO-1"]`) is JSON text, read as its first
 * element.
 */
import { attr, type Item } from './facts';
import type { Value } from './schema';

/** A compiled glob or /regex/: true when the whole text matches (globs) or the regex finds a match. */
export function compilePattern(p: string): (s: string) => boolean {
	const m = /^\/(.*)\/([imsu]*)$/s.exec(p);
	if (m) {
		const re = new RegExp(m[1], m[2]);
		return (s) => re.test(s);
	}
	if (p === '*') return (s) => s !== '';
	if (!/[*?]/.test(p)) return (s) => s === p;
	const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
	return (s) => re.test(s);
}

/** The first element of a JSON array text, else the text itself. */
export function scalar(v: string | undefined): string {
	if (v === undefined) return '';
	if (v.length > 1 && v.charCodeAt(0) === 0x5b && v.charCodeAt(v.length - 1) === 0x5d) {
		const one = plainSingleString(v);
		if (one !== null) return one;
		try {
			const a = JSON.parse(v) as unknown;
			if (Array.isArray(a)) return a.length === 0 ? '' : textOf(a[0]);
		} catch {
			// not JSON: the text as it is
		}
	}
	return v;
}

/** `["text"]` with nothing to unescape in the text (a captured header, the common case): the text, without JSON.parse. */
function plainSingleString(v: string): string | null {
	const n = v.length;
	if (n < 4 || v.charCodeAt(1) !== 0x22 || v.charCodeAt(n - 2) !== 0x22) return null;
	for (let i = 2; i < n - 2; i++) {
		const c = v.charCodeAt(i);
		if (c === 0x22 || c === 0x5c || c < 0x20) return null;
	}
	return v.slice(2, n - 2);
}

function textOf(v: unknown): string {
	if (v === null || v === undefined) return '';
	return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** http.route, else url.path, else the path of url.full / http.target (older conventions). */
export function routeOf(it: Item): string {
	const r = attr(it, 'http.route') || attr(it, 'url.path') || attr(it, 'http.target');
	if (r) return r.split('?')[0];
	const full = attr(it, 'url.full') || attr(it, 'http.url');
	if (!full) return '';
	try {
		return new URL(full).pathname;
	} catch {
		return '';
	}
}

/** W3C baggage (`k=v;prop,k2=v2`) → the value of one key. */
function baggageValue(header: string, key: string): string {
	for (const member of header.split(',')) {
		const eq = member.indexOf('=');
		if (eq < 0 || member.slice(0, eq).trim() !== key) continue;
		const v = member.slice(eq + 1).split(';')[0].trim();
		try {
			return decodeURIComponent(v);
		} catch {
			return v;
		}
	}
	return '';
}

/** A source (`attr:…`, `body`, …) as a reader of its raw text ('' when absent), parsed once per rule. */
export function compileSource(from: string): (it: Item) => string {
	const colon = from.indexOf(':');
	const head = colon < 0 ? from : from.slice(0, colon);
	const rest = colon < 0 ? '' : from.slice(colon + 1);
	switch (head) {
		case 'attr':
			return (it) => attr(it, rest) ?? '';
		case 'resource':
			return rest === 'service.name' ? (it) => it.service : (it) => it.resource[rest] ?? '';
		case 'event': {
			const sep = rest.indexOf(':');
			const name = rest.slice(0, sep);
			const key = rest.slice(sep + 1);
			return (it) => {
				for (const e of it.events) if (e.name === name && e.attrs[key]) return e.attrs[key];
				return '';
			};
		}
		case 'baggage':
			return (it) => attr(it, rest) || baggageValue(scalar(attr(it, 'http.request.header.baggage') ?? attr(it, 'baggage')), rest);
		case 'body':
			return (it) => it.body;
		case 'name':
			return (it) => it.name;
		case 'kind':
			return (it) => it.kind.toLowerCase();
		case 'status':
			return (it) => it.status.toLowerCase();
		case 'status_message':
			return (it) => it.statusMessage;
		case 'service':
			return (it) => it.service;
		case 'scope':
			return (it) => it.scope;
		case 'route':
			return routeOf;
		default:
			return () => '';
	}
}

/** `$.a.b[0]['c-d']` → path segments. */
export function parsePath(path: string): (string | number)[] {
	const out: (string | number)[] = [];
	const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']+)'\]/g;
	for (let m = re.exec(path); m; m = re.exec(path)) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
	return out;
}

function atPath(text: string, path: (string | number)[]): string {
	if (!text) return '';
	let v: unknown;
	try {
		v = JSON.parse(text);
	} catch {
		return '';
	}
	for (const seg of path) {
		if (v === null || typeof v !== 'object') return '';
		v = (v as Record<string | number, unknown>)[seg];
	}
	return textOf(v);
}

export type ValueFn = (it: Item) => string;

/** Compile a rule value (literal or `{ from, path, regex, map }`) into a reader. */
export function compileValue(v: Value): ValueFn {
	if (typeof v === 'string') return () => v;
	const path = v.path ? parsePath(v.path) : null;
	const m = v.regex ? /^\/(.*)\/([imsu]*)$/s.exec(v.regex) : null;
	const re = v.regex ? (m ? new RegExp(m[1], m[2]) : new RegExp(v.regex)) : null;
	const map = v.map;
	const only = v.only;
	const format = v.format;
	const source = compileSource(v.from);
	return (it) => {
		let s = source(it);
		if (!s) return '';
		s = path ? atPath(s, path) : scalar(s);
		if (s && re) {
			const hit = re.exec(s);
			s = hit ? (hit[1] ?? hit[0]) : '';
		}
		if (s && map) {
			const to = map[s];
			s = to !== undefined ? to : only ? '' : s;
		}
		return s && format ? format.replace('{}', s) : s;
	};
}
