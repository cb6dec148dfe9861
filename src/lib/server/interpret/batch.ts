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
	const out = items.map((it) => interpretItem(it, rules));
	// shared facts per trace: this request's explicit ones, its derived ones, then remembered ones
	const shared = new Map<string, Record<string, string>>();
	const byTrace = new Map<string, number[]>();
	items.forEach((it, i) => {
		if (!it.traceId) return;
		let idx = byTrace.get(it.traceId);
		if (!idx) {
			byTrace.set(it.traceId, (idx = []));
			shared.set(it.traceId, {});
		}
		idx.push(i);
	});
	for (const [traceId, idx] of byTrace) {
		const s = shared.get(traceId)!;
		// explicit facts first, then derived ones: a tagged span speaks for its trace; within each,
		// the shallowest span first (the entry point names the flow, not a sub-flow it calls)
		const ordered = idx.length > 1 ? byDepth(items, idx) : idx;
		for (const pass of [true, false]) {
			for (const i of ordered) {
				const d = out[i];
				for (const f of TRACE_FACTS) {
					if (s[f] === undefined && d.facts[f] && (d.by[f] === 'explicit') === pass) s[f] = d.facts[f];
				}
			}
		}
		const past = memory?.facts.get(traceId);
		if (past) for (const f in past) if (s[f] === undefined) s[f] = past[f];
	}
	// links: a span without its trace's facts takes those of the traces it links to
	const linked = (it: Item): Record<string, string> | undefined => {
		for (const l of it.links) {
			const f = shared.get(l.traceId) ?? memory?.facts.get(l.traceId);
			if (f && Object.keys(f).length > 0) return f;
		}
		return undefined;
	};
	items.forEach((it, i) => {
		const own = it.traceId ? shared.get(it.traceId) : undefined;
		const fromLinks = it.links.length > 0 ? linked(it) : undefined;
		const inherited = fromLinks ? { ...fromLinks, ...own } : own;
		if (!inherited) return;
		const d = out[i];
		if (TRACE_FACTS.some((f) => d.facts[f] === undefined && inherited[f])) out[i] = interpretItem(it, rules, inherited);
	});
	markRelayed(items, out, byTrace, memory);
	if (memory) remember(items, out, byTrace, shared, memory);
	return out;
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
		if (!idx.some((i) => isFailure(out[i].facts.outcome))) continue;
		const failing = idx.filter((i) => items[i].signal === 'span' && isFailure(out[i].facts.outcome));
		const pastFailed = memory?.failed.get(traceId);
		if (failing.length === 0) continue;
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
		if (facts && Object.keys(facts).length > 0) memory.facts.set(traceId, facts);
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
