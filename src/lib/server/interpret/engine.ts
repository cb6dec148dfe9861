/**
 * Rules → one item's facts. Precedence, highest first: the item's explicit `integration.*`
 * attributes; your rules (in file order); the flow catalogue's `match` rules; your keys; the packs
 * (node-red, camel, mulesoft, n8n, then semconv); the conventions' failure facts (failures.ts).
 * Within those, the first rule that yields a value for a fact sets it. Facts a trace shares
 * (TRACE_FACTS) may come from another span of the trace (batch.ts): the item's own rules still win.
 */
import { ATTR_PREFIX, attr, FACT_ATTRS, FACTS, KEY_PREFIX, TRACE_FACTS, type Derived, type Item } from './facts';
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
	/** the same as bits of FACTS indexes (0 when it sets a `key.*` fact: then `facts` is checked) */
	mask: number;
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
		tests.push((it) => p(attr(it, k) ?? ''));
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
	const facts = set.map(([f]) => f);
	return { id: r.id, origin, match: compileWhen(r.when), set, facts, mask: factMask(facts) };
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

const KEY_ATTR_PREFIX = ATTR_PREFIX + KEY_PREFIX;
const FACT_BIT = new Map(FACTS.map((f, i) => [f as string, 1 << i]));

/** Facts as bits of their FACTS indexes; 0 when one is not in FACTS (a `key.*` fact). */
function factMask(facts: string[]): number {
	let m = 0;
	for (const f of facts) {
		const bit = FACT_BIT.get(f);
		if (bit === undefined) return 0;
		m |= bit;
	}
	return m;
}

/**
 * What interpretItem set, as bits of FACTS indexes (key.* facts have none): every fact, and the
 * explicit ones. Read right after the call (batch.ts checks trace facts without a lookup per fact).
 */
export const MASKS = { set: 0, explicit: 0 };

/** Facts of one item under a compiled rule list; `inherited` are the trace's shared facts. */
export function interpretItem(it: Item, rules: CompiledRule[], inherited?: Record<string, string>): Derived {
	const l = it.located;
	const explicit = l === undefined ? undefined : explicitTemplate(l.factMask);
	// a copy of the template of the item's explicit facts (one object shape per combination), else empty
	const facts: Record<string, string> = explicit === undefined ? {} : { ...explicit.facts };
	const by: Record<string, string> = explicit === undefined ? {} : { ...explicit.by };
	// the FACTS set so far, as bits
	let set = explicitFacts(it, facts, by);
	MASKS.explicit = set;
	for (const r of rules) {
		// nothing left for this rule to set (a span that carries its facts skips most of the rules)
		if (r.mask !== 0 ? (r.mask & ~set) === 0 : allSet(r.facts, by)) continue;
		if (!r.match(it, facts.flow ?? inherited?.flow ?? '')) continue;
		for (const [f, read] of r.set) {
			if (by[f] !== undefined) continue;
			const v = read(it);
			if (v) {
				facts[f] = v;
				by[f] = r.id;
				set |= FACT_BIT.get(f) ?? 0;
			}
		}
	}
	if (inherited) {
		for (const f in inherited) {
			if (by[f] === undefined && inherited[f]) {
				facts[f] = inherited[f];
				by[f] = 'trace';
				set |= FACT_BIT.get(f) ?? 0;
			}
		}
	}
	MASKS.set = set | applyFailure(it, facts, by);
	return { facts, by };
}

/** The item's `integration.*` attributes as facts: present counts, even empty (the stored map keeps
 * the client's key, so a derived one beside it would be a duplicate). */
function explicitFacts(it: Item, facts: Record<string, string>, by: Record<string, string>): number {
	let set = 0;
	const l = it.located;
	if (l !== undefined) {
		// the decoder noted which fact attributes it met (facts and by come from their template);
		// only the values the interpretation reads are decoded (the row keeps the others as sent)
		set = l.factMask;
		for (let m = set & READ_EXPLICIT, i = 0; m !== 0; m >>>= 1, i++) if ((m & 1) !== 0) facts[FACTS[i]] = l.get(FACT_ATTRS[i])!;
		for (const k of l.keyAttrs) {
			const f = k.slice(ATTR_PREFIX.length);
			facts[f] = l.get(k)!;
			by[f] = 'explicit';
		}
		return set;
	}
	for (let i = 0; i < FACTS.length; i++) {
		const v = it.attrs[FACT_ATTRS[i]];
		if (v !== undefined) {
			facts[FACTS[i]] = v;
			by[FACTS[i]] = 'explicit';
			set |= 1 << i;
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
	return set;
}

/**
 * Explicit facts whose values the interpretation reads: the trace's shared facts (batch.ts), the
 * flow (rule conditions), outcome and step (failures). The others of a protobuf item are only in
 * `by` (engine and batch test a fact's presence there); derivedMembers never writes explicit facts.
 */
const READ_EXPLICIT = factMask([...TRACE_FACTS, 'outcome', 'step']);

const templates = new Map<number, Derived>();

/** facts (values to fill in: those of READ_EXPLICIT) and by of the explicit facts FACTS[i] for each bit i of `mask`, in FACTS order */
function explicitTemplate(mask: number): Derived {
	let t = templates.get(mask);
	if (t === undefined) {
		t = { facts: {}, by: {} };
		for (let i = 0; i < FACTS.length; i++) {
			if ((mask & (1 << i)) === 0) continue;
			if ((READ_EXPLICIT & (1 << i)) !== 0) t.facts[FACTS[i]] = '';
			t.by[FACTS[i]] = 'explicit';
		}
		templates.set(mask, t);
	}
	return t;
}

function allSet(want: string[], by: Record<string, string>): boolean {
	for (let i = 0; i < want.length; i++) if (by[want[i]] === undefined) return false;
	return true;
}

const OUTCOME = FACT_BIT.get('outcome')!;
const FAILURE_FACTS = ['error.class', 'error.code', 'error.message'];

/** Outcome and error facts from the conventions, for the facts still unset; returns their bits. */
function applyFailure(it: Item, facts: Record<string, string>, by: Record<string, string>): number {
	if (it.signal !== 'span') return 0;
	// an outcome other than a failure is final and error facts follow only a failure: nothing to add
	const known = facts.outcome;
	if (known !== undefined && known !== 'failed' && known !== 'rejected') return 0;
	const fail = conventionFailure(it);
	if (!fail) {
		// a step's span that answered 1xx–3xx delivered its message
		if (facts.outcome === undefined && facts.step && conventionSuccess(it)) {
			facts.outcome = 'success';
			by.outcome = 'semconv.http-status';
			return OUTCOME;
		}
		return 0;
	}
	// a server answering 4xx is not failing (HTTP conventions); it refused a business message only
	// when the span belongs to a flow (a probe's 404 or a bot's 405 is nobody's exception)
	if (fail.rule === 'semconv.http-status' && it.kind === 'Server' && it.status !== 'Error' && !facts.flow) return 0;
	let set = 0;
	if (facts.outcome === undefined && fail.outcome) {
		facts.outcome = fail.outcome;
		by.outcome = fail.rule;
		set = OUTCOME;
	}
	if (facts.outcome !== 'failed' && facts.outcome !== 'rejected') return set;
	const values = [fail.errorClass, fail.errorCode, fail.errorMessage];
	for (let i = 0; i < FAILURE_FACTS.length; i++) {
		const f = FAILURE_FACTS[i];
		if (by[f] === undefined && values[i]) {
			facts[f] = values[i];
			by[f] = fail.rule;
			set |= FACT_BIT.get(f)!;
		}
	}
	return set;
}
