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
import { TRACE_FACTS, type Derived, type Item } from './facts';
import { interpretItem, type CompiledRule } from './engine';

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

const isFailure = (o: string | undefined) => o === 'failed' || o === 'rejected';

/** Interpret a request's items; `memory` carries trace facts between requests (omit for a stand-alone run). */
export function interpretBatch(items: Item[], rules: CompiledRule[], memory?: TraceMemory): Derived[] {
	const n = items.length;
	const out = new Array<Derived>(n);
	for (let i = 0; i < n; i++) out[i] = interpretItem(items[i], rules);
	// shared facts per trace: this request's explicit ones, its derived ones, then remembered ones
	// (no object for a trace without any)
	const byTrace = new Map<string, number[]>();
	for (let i = 0; i < n; i++) {
		const t = items[i].traceId;
		if (!t) continue;
		const idx = byTrace.get(t);
		if (idx) idx.push(i);
		else byTrace.set(t, [i]);
	}
	const shared = new Map<string, Record<string, string>>();
	for (const [traceId, idx] of byTrace) {
		let s: Record<string, string> | undefined;
		// explicit facts first, then derived ones: a tagged span speaks for its trace; within each,
		// the shallowest span first (the entry point names the flow, not a sub-flow it calls)
		const ordered = idx.length > 1 ? byDepth(items, idx) : idx;
		for (let pass = 0; pass < 2; pass++) {
			for (const i of ordered) {
				const d = out[i];
				for (const f of TRACE_FACTS) {
					const v = d.facts[f];
					if (v && (d.by[f] === 'explicit') === (pass === 0) && (s === undefined || s[f] === undefined)) (s ??= {})[f] = v;
				}
			}
		}
		const past = memory?.facts.get(traceId);
		if (past) for (const f in past) if (s === undefined || s[f] === undefined) (s ??= {})[f] = past[f];
		if (s) shared.set(traceId, s);
	}
	// links: a span without its trace's facts takes those of the traces it links to
	for (let i = 0; i < n; i++) {
		const it = items[i];
		const own = it.traceId ? shared.get(it.traceId) : undefined;
		const fromLinks = it.links.length > 0 ? linked(it, shared, memory) : undefined;
		const inherited = fromLinks ? { ...fromLinks, ...own } : own;
		if (!inherited) continue;
		const d = out[i];
		if (TRACE_FACTS.some((f) => d.facts[f] === undefined && inherited[f])) out[i] = interpretItem(it, rules, inherited);
	}
	markRelayed(items, out, byTrace, memory);
	if (memory) remember(items, out, byTrace, shared, memory);
	return out;
}

function linked(it: Item, shared: Map<string, Record<string, string>>, memory?: TraceMemory): Record<string, string> | undefined {
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

/** A derived failure with a failing descendant (this request or remembered) becomes `relayed`. */
function markRelayed(items: Item[], out: Derived[], byTrace: Map<string, number[]>, memory?: TraceMemory): void {
	for (const [traceId, idx] of byTrace) {
		const failing = idx.filter((i) => items[i].signal === 'span' && isFailure(out[i].facts.outcome));
		if (failing.length === 0) continue;
		const pastFailed = memory?.failed.get(traceId);
		const local = new Map<string, string>();
		for (const i of idx) if (items[i].signal === 'span') local.set(items[i].spanId, items[i].parentSpanId);
		const parentOf = (id: string) => local.get(id) ?? memory?.parents.get(id);
		const failed = new Set(pastFailed ?? []);
		for (const i of failing) failed.add(items[i].spanId);
		const hasFailingDescendant = new Set<string>();
		for (const id of failed) {
			let p = parentOf(id);
			for (let depth = 0; p && depth < MAX_DEPTH && !hasFailingDescendant.has(p); depth++) {
				hasFailingDescendant.add(p);
				p = parentOf(p);
			}
		}
		for (const i of failing) {
			const d = out[i];
			if (d.by.outcome !== 'explicit' && hasFailingDescendant.has(items[i].spanId)) {
				d.facts.outcome = 'relayed';
				d.by.outcome = 'deepest-failure';
			}
		}
	}
}

function remember(items: Item[], out: Derived[], byTrace: Map<string, number[]>, shared: Map<string, Record<string, string>>, memory: TraceMemory): void {
	for (const [traceId, idx] of byTrace) {
		const facts = shared.get(traceId);
		if (facts) memory.facts.set(traceId, facts);
		for (const i of idx) {
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
