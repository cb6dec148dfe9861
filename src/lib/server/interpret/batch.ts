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

interface TraceState {
	facts: Record<string, string>;
	/** span → parent, for the ancestor walk across requests */
	parents: Map<string, string>;
	/** spans whose failure was their own (outcome failed/rejected) */
	failed: Set<string>;
}

const MAX_SPANS_PER_TRACE = 1024;
const MAX_DEPTH = 128;

/** A bounded, least-recently-used memory of recent traces. */
export class TraceMemory {
	private map = new Map<string, TraceState>();
	constructor(readonly maxTraces = 100_000) {}

	get(traceId: string): TraceState | undefined {
		const s = this.map.get(traceId);
		if (s) {
			this.map.delete(traceId);
			this.map.set(traceId, s);
		}
		return s;
	}

	upsert(traceId: string): TraceState {
		let s = this.get(traceId);
		if (!s) {
			s = { facts: {}, parents: new Map(), failed: new Set() };
			this.map.set(traceId, s);
			if (this.map.size > this.maxTraces) this.map.delete(this.map.keys().next().value as string);
		}
		return s;
	}

	get size(): number {
		return this.map.size;
	}

	clear(): void {
		this.map.clear();
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
		const past = memory?.get(traceId)?.facts;
		if (past) for (const f in past) if (s[f] === undefined) s[f] = past[f];
	}
	// links: a span without its trace's facts takes those of the traces it links to
	const linked = (it: Item): Record<string, string> | undefined => {
		for (const l of it.links) {
			const f = shared.get(l.traceId) ?? memory?.get(l.traceId)?.facts;
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
		const failing = idx.filter((i) => items[i].signal === 'span' && isFailure(out[i].facts.outcome));
		const past = memory?.get(traceId);
		if (failing.length === 0) continue;
		const parents = new Map(past?.parents ?? []);
		for (const i of idx) if (items[i].signal === 'span') parents.set(items[i].spanId, items[i].parentSpanId);
		const failed = new Set(past?.failed ?? []);
		for (const i of failing) failed.add(items[i].spanId);
		const hasFailingDescendant = new Set<string>();
		for (const id of failed) {
			let p = parents.get(id);
			for (let depth = 0; p && depth < MAX_DEPTH && !hasFailingDescendant.has(p); depth++) {
				hasFailingDescendant.add(p);
				p = parents.get(p);
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
		const s = memory.upsert(traceId);
		Object.assign(s.facts, shared.get(traceId));
		for (const i of idx) {
			const it = items[i];
			if (it.signal !== 'span') continue;
			if (s.parents.size < MAX_SPANS_PER_TRACE) s.parents.set(it.spanId, it.parentSpanId);
			if (isFailure(out[i].facts.outcome) || out[i].facts.outcome === 'relayed') s.failed.add(it.spanId);
		}
	}
}
