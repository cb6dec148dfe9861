/**
 * Rules → one item's facts. Precedence, highest first: the item's explicit `integration.*`
 * attributes; your rules (in file order); the flow catalogue's `match` rules; your keys; the packs
 * (node-red, camel, mulesoft, n8n, then semconv); the conventions' failure facts (failures.ts).
 * Within those, the first rule that yields a value for a fact sets it. Facts a trace shares
 * (TRACE_FACTS) may come from another span of the trace (batch.ts): the item's own rules still win.
 */
import { ATTR_PREFIX, FACTS, KEY_PREFIX, type Derived, type Item } from './facts';
import { conventionFailure, conventionSuccess } from './failures';
import type { Rule, When } from './schema';
import { compilePattern, compileValue, routeOf, type ValueFn } from './values';

export interface CompiledRule {
	id: string;
	/** where it came from: rules | catalogue | keys | pack:<name> */
	origin: string;
	match: (it: Item, flow: string) => boolean;
	set: [string, ValueFn][];
	/** the facts it sets: a rule whose facts are all set already is not evaluated */
	facts: string[];
}

const KIND_NAMES: Record<string, string> = {
	internal: 'Internal',
	server: 'Server',
	client: 'Client',
	producer: 'Producer',
	consumer: 'Consumer',
	unspecified: 'Unspecified'
};

/** A `when` block (plus the catalogue's flow condition) as one predicate; every condition must hold. */
export function compileWhen(w: When): (it: Item, flow: string) => boolean {
	const tests: ((it: Item, flow: string) => boolean)[] = [];
	if (w.signal) tests.push((it) => it.signal === w.signal);
	if (w.service) {
		const p = compilePattern(w.service);
		tests.push((it) => p(it.service));
	}
	if (w.scope) {
		const p = compilePattern(w.scope);
		tests.push((it) => p(it.scope));
	}
	if (w.name) {
		const p = compilePattern(w.name);
		tests.push((it) => p(it.name));
	}
	if (w.kind) {
		const kinds = new Set((Array.isArray(w.kind) ? w.kind : [w.kind]).map((k) => KIND_NAMES[k]));
		tests.push((it) => kinds.has(it.kind));
	}
	if (w.route) {
		const p = compilePattern(w.route);
		tests.push((it) => p(routeOf(it)));
	}
	if (w.status) {
		const want = w.status === 'error' ? 'Error' : w.status === 'ok' ? 'Ok' : 'Unset';
		tests.push((it) => (it.status || 'Unset') === want);
	}
	if (w.event) {
		const p = compilePattern(w.event);
		tests.push((it) => p(it.eventName));
	}
	for (const [k, pat] of Object.entries(w.attr ?? {})) {
		const p = compilePattern(pat);
		tests.push((it) => p(it.attrs[k] ?? ''));
	}
	for (const [k, pat] of Object.entries(w.resource ?? {})) {
		const p = compilePattern(pat);
		tests.push((it) => p(k === 'service.name' ? it.service : (it.resource[k] ?? '')));
	}
	if (w.flow) {
		const p = compilePattern(w.flow);
		tests.push((_it, flow) => p(flow));
	}
	return (it, flow) => {
		for (const t of tests) if (!t(it, flow)) return false;
		return true;
	};
}

export function compileRule(r: Rule, origin: string): CompiledRule {
	const set = Object.entries(r.set).map(([f, v]): [string, ValueFn] => [f, compileValue(v)]);
	return { id: r.id, origin, match: compileWhen(r.when), set, facts: set.map(([f]) => f) };
}

/** Every attribute a rule set reads: the hot path collects only these (and integration.*). */
export function attributesRead(rules: { when: When; set: Record<string, unknown> }[]): string[] {
	const out = new Set<string>();
	const fromSource = (s: string) => {
		if (s.startsWith('attr:')) out.add(s.slice(5));
		if (s.startsWith('baggage:')) out.add(s.slice(8));
	};
	for (const r of rules) {
		for (const k of Object.keys(r.when.attr ?? {})) out.add(k);
		for (const v of Object.values(r.set)) if (v && typeof v === 'object' && 'from' in v) fromSource(String((v as { from: string }).from));
	}
	return [...out];
}

/** Span event names a rule set reads (`event:<name>:<attr>` sources). */
export function eventsRead(rules: { set: Record<string, unknown> }[]): string[] {
	const out = new Set<string>();
	for (const r of rules)
		for (const v of Object.values(r.set)) {
			const from = v && typeof v === 'object' && 'from' in v ? String((v as { from: string }).from) : '';
			if (from.startsWith('event:')) out.add(from.slice(6, from.indexOf(':', 6)));
		}
	return [...out];
}

/** Attributes the built-in conventions read (routes, status codes, exceptions, baggage). */
export const CONVENTION_ATTRIBUTES = [
	'http.route', 'url.path', 'http.target', 'url.full', 'http.url',
	'http.response.status_code', 'http.status_code', 'rpc.grpc.status_code', 'error.type',
	'exception.type', 'exception.message', 'http.request.header.baggage', 'baggage'
];

const FACT_ATTRS = FACTS.map((f) => ATTR_PREFIX + f);
const KEY_ATTR_PREFIX = ATTR_PREFIX + KEY_PREFIX;

/** Facts of one item under a compiled rule list; `inherited` are the trace's shared facts. */
export function interpretItem(it: Item, rules: CompiledRule[], inherited?: Record<string, string>): Derived {
	const facts: Record<string, string> = {};
	const by: Record<string, string> = {};
	// present counts, even empty: the stored map keeps the client's key, so a derived one beside it would be a duplicate
	for (let i = 0; i < FACTS.length; i++) {
		const v = it.attrs[FACT_ATTRS[i]];
		if (v !== undefined) {
			facts[FACTS[i]] = v;
			by[FACTS[i]] = 'explicit';
		}
	}
	for (const k in it.attrs) {
		// `integration.key.…`: the 13th character is the k (cheaper than startsWith on every key)
		if (k.charCodeAt(12) === 107 && k.startsWith(KEY_ATTR_PREFIX)) {
			const f = k.slice(ATTR_PREFIX.length);
			facts[f] = it.attrs[k];
			by[f] = 'explicit';
		}
	}
	for (const r of rules) {
		// nothing left for this rule to set (a span that carries its facts skips most of the rules)
		if (allSet(r.facts, facts)) continue;
		if (!r.match(it, facts.flow ?? inherited?.flow ?? '')) continue;
		for (const [f, read] of r.set) {
			if (facts[f] !== undefined) continue;
			const v = read(it);
			if (v) {
				facts[f] = v;
				by[f] = r.id;
			}
		}
	}
	if (inherited) {
		for (const f in inherited) {
			if (facts[f] === undefined && inherited[f]) {
				facts[f] = inherited[f];
				by[f] = 'trace';
			}
		}
	}
	applyFailure(it, facts, by);
	return { facts, by };
}

function allSet(want: string[], facts: Record<string, string>): boolean {
	for (let i = 0; i < want.length; i++) if (facts[want[i]] === undefined) return false;
	return true;
}

/** Outcome and error facts from the conventions, for the facts still unset. */
function applyFailure(it: Item, facts: Record<string, string>, by: Record<string, string>): void {
	if (it.signal !== 'span') return;
	const fail = conventionFailure(it);
	if (!fail) {
		// a step's span that answered 1xx–3xx delivered its message
		if (facts.outcome === undefined && facts.step && conventionSuccess(it)) {
			facts.outcome = 'success';
			by.outcome = 'semconv.http-status';
		}
		return;
	}
	// a server answering 4xx is not failing (HTTP conventions); it refused a business message only
	// when the span belongs to a flow (a probe's 404 or a bot's 405 is nobody's exception)
	if (fail.rule === 'semconv.http-status' && it.kind === 'Server' && it.status !== 'Error' && !facts.flow) return;
	if (facts.outcome === undefined && fail.outcome) {
		facts.outcome = fail.outcome;
		by.outcome = fail.rule;
	}
	if (facts.outcome !== 'failed' && facts.outcome !== 'rejected') return;
	const set = (f: string, v: string) => {
		if (facts[f] === undefined && v) {
			facts[f] = v;
			by[f] = fail.rule;
		}
	};
	set('error.class', fail.errorClass);
	set('error.code', fail.errorCode);
	set('error.message', fail.errorMessage);
}
