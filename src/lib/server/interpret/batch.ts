/**
 * Facts across the spans of a trace, for one decoded request plus what the collector remembers of
 * recent traces:
 * - a trace's shared facts (flow, correlation ID, entity, partner, amount) seen on one of its spans
 *   or log records apply to the others, and to spans that link to it (span links: a batch consumer
 *   linking the messages it processed);
 * - one failure per failed message: a span whose failure was passed on from a failing descendant
 *   (a server span answering 503 because its client call got 503) is `relayed`, so the exception and
 *   the SLA blame belong to the deepest failing span.
 * The memory is per process: run one collector per trace (the OpenTelemetry Collector's
 * load-balancing exporter routes by trace ID) when several collectors share the traffic.
 */
import { FACTS, TRACE_FACTS, type Derived, type Item } from './facts';
import { interpretItem, MASKS, type CompiledRule } from './engine';

const MAX_DEPTH = 128;

/** A bounded map that forgets its oldest entries (insertion order). */
class Bounded<K, V> extends Map<K, V> {
	constructor(readonly max: number) {
		super();
	}
	override set(k: K, v: V): this {
		if (!this.has(k) && this.size >= this.max) this.delete(this.keys().next().value as K);
		return super.set(k, v);
	}
}

/**
 * What the collector remembers of recent traces, bounded and cheap per span (no object per trace
 * unless the trace has shared facts or a failure): the shared facts, every span's parent (for the
 * ancestor walk of a failure that arrives before its callers), and the failing spans.
 */
export class TraceMemory {
	readonly facts: Bounded<string, Record<string, string>>;
	readonly parents: Bounded<string, string>;
	readonly failed: Bounded<string, Set<string>>;
	constructor(readonly maxTraces = 100_000) {
		this.facts = new Bounded(maxTraces);
		this.parents = new Bounded(maxTraces * 8);
		this.failed = new Bounded(maxTraces);
	}

	clear(): void {
		this.facts.clear();
		this.parents.clear();
		this.failed.clear();
	}
}

/** TRACE_FACTS' bits (engine.ts MASKS), in TRACE_FACTS order */
const TRACE_BITS = TRACE_FACTS.map((f) => 1 << (FACTS as readonly string[]).indexOf(f));

const isFailure = (o: string | undefined) => o === 'failed' || o === 'rejected';

/** Interpret a request's items; `memory` carries trace facts between requests (omit for a stand-alone run). */
export function interpretBatch(items: Item[], rules: CompiledRule[], memory?: TraceMemory): Derived[] {
	const n = items.length;
	const out = new Array<Derived>(n);
	// per item: the facts set and the explicit ones, as bits (engine.ts MASKS)
	const set = new Int32Array(n);
	const explicit = new Int32Array(n);
	for (let i = 0; i < n; i++) {
		out[i] = interpretItem(items[i], rules);
		set[i] = MASKS.set;
		explicit[i] = MASKS.explicit;
	}
	// the request's traces without an array per trace: each trace's first item (in order of first
	// appearance) and, per item, the next item of its trace (-1: none)
	const heads: number[] = [];
	const next = new Int32Array(n).fill(-1);
	const lastOf = new Map<string, number>();
	let anyLinks = false;
	for (let i = 0; i < n; i++) {
		if (items[i].links.length > 0) anyLinks = true;
		const t = items[i].traceId;
		if (t === '') continue;
		const last = lastOf.get(t);
		if (last === undefined) heads.push(i);
		else next[last] = i;
		lastOf.set(t, i);
	}
	// shared facts per trace: this request's explicit ones, its derived ones, then remembered ones
	// (no object for a trace without any); `own[i]`: those of item i's trace
	const own = new Array<Record<string, string> | undefined>(n);
	const shared: (Record<string, string> | undefined)[] = [];
	for (const head of heads) {
		let s: Record<string, string> | undefined;
		// explicit facts first, then derived ones: a tagged span speaks for its trace; within each,
		// the shallowest span first (the entry point names the flow, not a sub-flow it calls)
		if (next[head] === -1) {
			s = shareFacts(out[head], set[head] & explicit[head], s);
			s = shareFacts(out[head], set[head] & ~explicit[head], s);
		} else {
			const ordered = byDepth(items, chain(head, next));
			for (const i of ordered) s = shareFacts(out[i], set[i] & explicit[i], s);
			for (const i of ordered) s = shareFacts(out[i], set[i] & ~explicit[i], s);
		}
		const past = memory?.facts.get(items[head].traceId);
		if (past) for (const f in past) if (s === undefined || s[f] === undefined) (s ??= {})[f] = past[f];
		shared.push(s);
		for (let i = head; i !== -1; i = next[i]) own[i] = s;
	}
	// links: a span without its trace's facts takes those of the traces it links to
	const sharedOf = anyLinks ? new Map(heads.map((h, k) => [items[h].traceId, shared[k]])) : undefined;
	for (let i = 0; i < n; i++) {
		const it = items[i];
		const fromLinks = sharedOf !== undefined && it.links.length > 0 ? linked(it, sharedOf, memory) : undefined;
		const inherited = fromLinks ? { ...fromLinks, ...own[i] } : own[i];
		if (inherited && lacksShared(set[i], inherited)) {
			out[i] = interpretItem(it, rules, inherited);
			set[i] = MASKS.set;
		}
	}
	markRelayed(items, out, heads, next, memory);
	if (memory) remember(items, out, heads, next, shared, memory);
	return out;
}

/** Add the trace facts of an item among `bits` (its explicit or its derived ones) to the trace's shared facts not yet set. */
function shareFacts(d: Derived, bits: number, s: Record<string, string> | undefined): Record<string, string> | undefined {
	for (let k = 0; k < TRACE_FACTS.length; k++) {
		if ((bits & TRACE_BITS[k]) === 0) continue;
		const f = TRACE_FACTS[k];
		const v = d.facts[f];
		if (v && (s === undefined || s[f] === undefined)) (s ??= {})[f] = v;
	}
	return s;
}

/** True when the trace knows a shared fact the item (with facts `set`) lacks. */
function lacksShared(set: number, inherited: Record<string, string>): boolean {
	for (let k = 0; k < TRACE_FACTS.length; k++) if ((set & TRACE_BITS[k]) === 0 && inherited[TRACE_FACTS[k]]) return true;
	return false;
}

/** The items of one trace, from its first. */
function chain(head: number, next: Int32Array): number[] {
	const idx: number[] = [];
	for (let i = head; i !== -1; i = next[i]) idx.push(i);
	return idx;
}

function linked(it: Item, shared: Map<string, Record<string, string> | undefined>, memory?: TraceMemory): Record<string, string> | undefined {
	for (const l of it.links) {
		const f = shared.get(l.traceId) ?? memory?.facts.get(l.traceId);
		if (f && Object.keys(f).length > 0) return f;
	}
	return undefined;
}

/** Item indexes of one trace, shallowest first (depth = ancestors within the request). */
function byDepth(items: Item[], idx: number[]): number[] {
	const parentOf = new Map<string, string>();
	for (const i of idx) if (items[i].signal === 'span') parentOf.set(items[i].spanId, items[i].parentSpanId);
	const depth = (i: number) => {
		let d = 0;
		for (let p = items[i].parentSpanId; p && parentOf.has(p) && d < MAX_DEPTH; p = parentOf.get(p)!) d++;
		return d;
	};
	const depths = new Map(idx.map((i) => [i, depth(i)]));
	return [...idx].sort((a, b) => depths.get(a)! - depths.get(b)!);
}

const failing = (items: Item[], out: Derived[], i: number) => items[i].signal === 'span' && isFailure(out[i].facts.outcome);

/** A derived failure with a failing descendant (this request or remembered) becomes `relayed`. */
function markRelayed(items: Item[], out: Derived[], heads: number[], next: Int32Array, memory?: TraceMemory): void {
	for (const head of heads) {
		let i = head;
		while (i !== -1 && !failing(items, out, i)) i = next[i];
		// most traces have no failing span: nothing to walk
		if (i === -1) continue;
		const idx = chain(head, next);
		const failingIdx = idx.filter((k) => failing(items, out, k));
		const pastFailed = memory?.failed.get(items[head].traceId);
		const local = new Map<string, string>();
		for (const k of idx) if (items[k].signal === 'span') local.set(items[k].spanId, items[k].parentSpanId);
		const parentOf = (id: string) => local.get(id) ?? memory?.parents.get(id);
		const failed = new Set(pastFailed ?? []);
		for (const k of failingIdx) failed.add(items[k].spanId);
		const hasFailingDescendant = new Set<string>();
		for (const id of failed) {
			let p = parentOf(id);
			for (let depth = 0; p && depth < MAX_DEPTH && !hasFailingDescendant.has(p); depth++) {
				hasFailingDescendant.add(p);
				p = parentOf(p);
			}
		}
		for (const k of failingIdx) {
			const d = out[k];
			if (d.by.outcome !== 'explicit' && hasFailingDescendant.has(items[k].spanId)) {
				d.facts.outcome = 'relayed';
				d.by.outcome = 'deepest-failure';
			}
		}
	}
}

function remember(items: Item[], out: Derived[], heads: number[], next: Int32Array, shared: (Record<string, string> | undefined)[], memory: TraceMemory): void {
	for (let k = 0; k < heads.length; k++) {
		const traceId = items[heads[k]].traceId;
		const facts = shared[k];
		if (facts) memory.facts.set(traceId, facts);
		for (let i = heads[k]; i !== -1; i = next[i]) {
			const it = items[i];
			if (it.signal !== 'span') continue;
			if (it.parentSpanId) memory.parents.set(it.spanId, it.parentSpanId);
			const o = out[i].facts.outcome;
			if (isFailure(o) || o === 'relayed') {
				let f = memory.failed.get(traceId);
				if (!f) memory.failed.set(traceId, (f = new Set()));
				f.add(it.spanId);
			}
		}
	}
}
