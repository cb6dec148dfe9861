/**
 * The rule workbench (Administration → Interpretation): run an edited rule document over a sample
 * of spans and log records without the collector's trace memory, and show what it derives, which
 * rule set each fact, how much of each service's telemetry it classifies, which rules never fire
 * and what changes against the rules in use. The sample is recent stored spans (stored.ts) or a
 * pasted OTLP/JSON export, decoded by the collector's own OTLP/JSON decoders.
 */
import { decodeLogsJson } from '../../../../collector/signals/logs';
import { AttributeCapture } from '../../../../collector/signals/proto-attributes';
import { decodeTracesJson } from '../../../../collector/signals/traces';
import { config } from '../config';
import { db, sql, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { interpretBatch } from './batch';
import type { CompiledRule } from './engine';
import { FACTS, type Derived, type Item } from './facts';
import { buildRules, parseRules, RulesError, type ActiveRules } from './ruleset';
import { PACKS_BY_NAME } from './packs';
import { PACKS } from './schema';
import { routeOf } from './values';

/** What one span or log record of the sample shows: where it came from and what the rules derived. */
export interface PreviewRow {
	signal: Item['signal'];
	traceId: string;
	spanId: string;
	/** nesting below the trace's root, for indenting the span name */
	depth: number;
	service: string;
	name: string;
	kind: string;
	status: string;
	route: string;
	/** the HTTP (or gRPC) status code the span recorded ('' when none) */
	code: string;
	facts: { fact: string; value: string; by: string }[];
	classified: boolean;
	/** facts that differ from what the rules in use derive (empty when nothing was compared) */
	changes: { fact: string; before: string; after: string }[];
}

export interface Coverage {
	service: string;
	spans: number;
	classified: number;
	/** 0–100, rounded down: 100 only when every span is classified */
	percent: number;
}

/** Unclassified spans of one shape: what a rule would have to match. */
export interface UnclassifiedGroup {
	service: string;
	name: string;
	kind: string;
	route: string;
	count: number;
}

/** How often a rule set a fact: every rule and key of the document is listed, fired or not. */
export interface RuleHits {
	id: string;
	/** rules | keys | catalogue | pack:<name> | explicit | trace | conventions */
	origin: string;
	items: number;
	facts: string[];
}

export interface FactDiff {
	fact: string;
	added: number;
	changed: number;
	removed: number;
}

export type Preview =
	| { ok: false; issues: string[] }
	| {
			ok: true;
			/** packs the edited document turns on */
			packs: string[];
			rows: PreviewRow[];
			coverage: Coverage[];
			unclassified: UnclassifiedGroup[];
			rules: RuleHits[];
			/** against the baseline rules; null when none was given */
			diff: { items: number; facts: FactDiff[] } | null;
	  };

const EDITED = 'the edited rules';

/** Rules in the collector's precedence, with the catalogue and key aliases in use. */
function compile(document: string): ActiveRules {
	return buildRules(parseRules(document, EDITED), catalogue(), config().keyAliases);
}

/** Validation problems as "path: message" (the source name parseRules puts first is the same for all). */
export function issuesOf(e: RulesError): string[] {
	return e.issues.map((i) => (i.startsWith(`${EDITED}: `) ? i.slice(EDITED.length + 2) : i));
}

const FAILURES = new Set(['failed', 'rejected', 'relayed']);

/** A flow and a step, or a failure within a flow: enough for lineage, SLA and the exception queue. */
export function isClassified(facts: Record<string, string>): boolean {
	return !!facts.flow && (!!facts.step || FAILURES.has(facts.outcome ?? ''));
}

const FACT_ORDER = new Map<string, number>(FACTS.map((f, i) => [f, i]));
const factRank = (f: string) => FACT_ORDER.get(f) ?? FACTS.length;

function orderedFacts(d: Derived): PreviewRow['facts'] {
	return Object.keys(d.facts)
		.sort((a, b) => factRank(a) - factRank(b) || a.localeCompare(b))
		.map((fact) => ({ fact, value: d.facts[fact], by: d.by[fact] }));
}

/**
 * Preview `document` on `items`; `baseline` (the document in use) adds what changes. Invalid
 * documents give every problem, not the first.
 */
export function preview(document: string, items: Item[], baseline?: string): Preview {
	let rules: ActiveRules;
	try {
		rules = compile(document);
	} catch (e) {
		if (e instanceof RulesError) return { ok: false, issues: issuesOf(e) };
		throw e;
	}
	const derived = interpretBatch(items, rules.compiled);
	const before = baseline === undefined ? null : baselineFacts(baseline, items);
	const order = treeOrder(items);
	const rows = order.map(({ index, depth }) => {
		const it = items[index];
		const d = derived[index];
		return {
			signal: it.signal,
			traceId: it.traceId,
			spanId: it.spanId,
			depth,
			service: it.service,
			name: it.signal === 'span' ? it.name : it.eventName || it.body.slice(0, 80),
			kind: it.kind,
			status: it.status,
			route: routeOf(it),
			code: statusCode(it),
			facts: orderedFacts(d),
			classified: isClassified(d.facts),
			changes: before ? changesOf(before[index], d.facts) : []
		};
	});
	return {
		ok: true,
		packs: [...rules.file.packs],
		rows,
		coverage: coverage(rows),
		unclassified: unclassified(rows),
		rules: ruleHits(rules.compiled, derived),
		diff: before ? diffSummary(rows) : null
	};
}

/** The HTTP or gRPC status code of a span, as failures.ts reads it. */
function statusCode(it: Item): string {
	const http = it.attrs['http.response.status_code'] ?? it.attrs['http.status_code'];
	if (http) return `HTTP ${http}`;
	const grpc = it.attrs['rpc.grpc.status_code'];
	return grpc ? `gRPC ${grpc}` : '';
}

/** The baseline's facts per item; null entries when the baseline itself no longer compiles. */
function baselineFacts(baseline: string, items: Item[]): Record<string, string>[] | null {
	try {
		return interpretBatch(items, compile(baseline).compiled).map((d) => d.facts);
	} catch (e) {
		// the saved rules compiled when saved; a catalogue change since can break them: no diff then
		if (e instanceof RulesError) return null;
		throw e;
	}
}

function changesOf(before: Record<string, string>, after: Record<string, string>): PreviewRow['changes'] {
	const out: PreviewRow['changes'] = [];
	for (const fact of new Set([...Object.keys(before), ...Object.keys(after)])) {
		const b = before[fact] ?? '';
		const a = after[fact] ?? '';
		if (a !== b) out.push({ fact, before: b, after: a });
	}
	return out.sort((x, y) => factRank(x.fact) - factRank(y.fact) || x.fact.localeCompare(y.fact));
}

function diffSummary(rows: PreviewRow[]): { items: number; facts: FactDiff[] } {
	const byFact = new Map<string, FactDiff>();
	let items = 0;
	for (const r of rows) {
		if (r.changes.length > 0) items++;
		for (const c of r.changes) {
			let f = byFact.get(c.fact);
			if (!f) byFact.set(c.fact, (f = { fact: c.fact, added: 0, changed: 0, removed: 0 }));
			if (!c.before) f.added++;
			else if (!c.after) f.removed++;
			else f.changed++;
		}
	}
	return { items, facts: [...byFact.values()].sort((a, b) => factRank(a.fact) - factRank(b.fact) || a.fact.localeCompare(b.fact)) };
}

/** Spans per service (log records are not counted), least covered first. */
function coverage(rows: PreviewRow[]): Coverage[] {
	const by = new Map<string, Coverage>();
	for (const r of rows) {
		if (r.signal !== 'span') continue;
		let c = by.get(r.service);
		if (!c) by.set(r.service, (c = { service: r.service, spans: 0, classified: 0, percent: 0 }));
		c.spans++;
		if (r.classified) c.classified++;
	}
	const out = [...by.values()];
	for (const c of out) c.percent = Math.floor((100 * c.classified) / c.spans);
	return out.sort((a, b) => a.percent - b.percent || a.service.localeCompare(b.service));
}

function unclassified(rows: PreviewRow[]): UnclassifiedGroup[] {
	const by = new Map<string, UnclassifiedGroup>();
	for (const r of rows) {
		if (r.signal !== 'span' || r.classified) continue;
		const key = JSON.stringify([r.service, r.name, r.kind, r.route]);
		const g = by.get(key);
		if (g) g.count++;
		else by.set(key, { service: r.service, name: r.name, kind: r.kind, route: r.route, count: 1 });
	}
	return [...by.values()].sort((a, b) => b.count - a.count || a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
}

/** What beside a rule can set a fact (batch.ts, failures.ts). */
function originOf(by: string, compiled: Map<string, CompiledRule>): string {
	const r = compiled.get(by);
	if (r) return r.origin;
	if (by === 'explicit') return 'explicit';
	if (by === 'trace' || by === 'deepest-failure') return 'trace';
	return 'conventions';
}

function ruleHits(compiled: CompiledRule[], derived: Derived[]): RuleHits[] {
	const byId = new Map<string, CompiledRule>();
	for (const r of compiled) if (!byId.has(r.id)) byId.set(r.id, r);
	const hits = new Map<string, RuleHits>();
	// the document's own rules and keys are listed even when they never fire
	for (const r of byId.values()) if (r.origin === 'rules' || r.origin === 'keys') hits.set(r.id, { id: r.id, origin: r.origin, items: 0, facts: [] });
	for (const d of derived) {
		const seen = new Set<string>();
		for (const [fact, by] of Object.entries(d.by)) {
			let h = hits.get(by);
			if (!h) hits.set(by, (h = { id: by, origin: originOf(by, byId), items: 0, facts: [] }));
			if (!seen.has(by)) {
				seen.add(by);
				h.items++;
			}
			if (!h.facts.includes(fact)) h.facts.push(fact);
		}
	}
	const rank = (o: string) => ['rules', 'keys', 'catalogue'].indexOf(o) + 1 || (o.startsWith('pack:') ? 4 : o === 'conventions' ? 5 : 6);
	const out = [...hits.values()];
	for (const h of out) h.facts.sort((a, b) => factRank(a) - factRank(b) || a.localeCompare(b));
	// the document's rules in file order, the rest by how often they fired
	const fileOrder = new Map(compiled.map((r, i) => [r.id, i]));
	return out.sort((a, b) => rank(a.origin) - rank(b.origin) || (a.origin === 'rules' || a.origin === 'keys' ? fileOrder.get(a.id)! - fileOrder.get(b.id)! : b.items - a.items || a.id.localeCompare(b.id)));
}

/** Items of each trace parent before children (depth-first, siblings in arrival order); traces in arrival order. */
function treeOrder(items: Item[]): { index: number; depth: number }[] {
	const byTrace = new Map<string, number[]>();
	items.forEach((it, i) => {
		const t = byTrace.get(it.traceId);
		if (t) t.push(i);
		else byTrace.set(it.traceId, [i]);
	});
	const out: { index: number; depth: number }[] = [];
	for (const idx of byTrace.values()) {
		const spans = new Set(idx.filter((i) => items[i].signal === 'span').map((i) => items[i].spanId));
		const children = new Map<string, number[]>();
		const roots: number[] = [];
		for (const i of idx) {
			const it = items[i];
			// a log record sits under the span it was written in
			const parent = it.signal === 'span' ? it.parentSpanId : it.spanId;
			if (parent && spans.has(parent) && !(it.signal === 'span' && parent === it.spanId)) {
				const c = children.get(parent);
				if (c) c.push(i);
				else children.set(parent, [i]);
			} else roots.push(i);
		}
		const visited = new Set<number>();
		const visit = (i: number, depth: number) => {
			if (visited.has(i)) return;
			visited.add(i);
			out.push({ index: i, depth });
			if (items[i].signal === 'span') for (const c of children.get(items[i].spanId) ?? []) visit(c, depth + 1);
		};
		for (const r of roots) visit(r, 0);
		// a parent cycle has no root: list what is left flat rather than drop it
		for (const i of idx) visit(i, 0);
	}
	return out;
}

// ---- samples -------------------------------------------------------------------------------------

/** A pasted sample that cannot be read, with what to fix. */
export class SampleError extends Error {}

/** Pasted text above this is refused (the console's request limit is 2 MB). */
export const MAX_OTLP_JSON = 1_500_000;

/**
 * Items from pasted OTLP/JSON: an ExportTraceServiceRequest (`{"resourceSpans": …}`), an
 * ExportLogsServiceRequest (`{"resourceLogs": …}`), or JSON lines of them (the Collector's file
 * exporter). Spans the collector would reject (bad ids, end before start) are left out and counted.
 * The decoders collect every attribute of OTLP/JSON input (the capture filters only protobuf).
 */
export function itemsFromOtlpJson(text: string): { items: Item[]; rejected: string } {
	const trimmed = text.trim();
	if (!trimmed) throw new SampleError('Paste an OTLP/JSON export first: {"resourceSpans": [ … ]}');
	if (trimmed.length > MAX_OTLP_JSON) throw new SampleError(`The pasted text is ${Math.round(trimmed.length / 1000)} kB; paste at most ${MAX_OTLP_JSON / 1_000_000} MB (a few traces are enough)`);
	const requests = parseRequests(trimmed);
	// every attribute (OTLP/JSON decoding keeps them all) and every span event a rule might read
	const capture = new AttributeCapture(new Set(), eventNames(requests));
	const items: Item[] = [];
	const rejected: string[] = [];
	requests.forEach((body, n) => {
		const where = requests.length > 1 ? `line ${n + 1}: ` : '';
		if (typeof body !== 'object' || body === null || Array.isArray(body) || !('resourceSpans' in body || 'resourceLogs' in body)) {
			const keys = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).slice(0, 5).join(', ') : typeof body;
			throw new SampleError(`${where}not an OTLP/JSON export: expected {"resourceSpans": [ … ]} or {"resourceLogs": [ … ]}, found ${keys || 'an empty object'}`);
		}
		try {
			for (const sink of [decodeTracesJson(body, capture), decodeLogsJson(body, capture)]) {
				items.push(...sink.items);
				if (sink.rejected) rejected.push(sink.errorMessage);
			}
		} catch (e) {
			throw new SampleError(`${where}not valid OTLP/JSON: ${(e as Error).message}`);
		}
	});
	if (items.length === 0 && rejected.length === 0) throw new SampleError('The export holds no spans or log records');
	return { items, rejected: rejected.join('; ') };
}

/** Names of the span events in the requests (the decoder keeps only the events its capture names). */
function eventNames(requests: unknown[]): Set<string> {
	const names = new Set(['exception']);
	const each = (v: unknown, key: string, fn: (o: Record<string, unknown>) => void) => {
		const a = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
		if (Array.isArray(a)) for (const o of a) if (o && typeof o === 'object') fn(o as Record<string, unknown>);
	};
	for (const r of requests)
		each(r, 'resourceSpans', (rs) => each(rs, 'scopeSpans', (ss) => each(ss, 'spans', (sp) => each(sp, 'events', (e) => typeof e.name === 'string' && names.add(e.name)))));
	return names;
}

/** One JSON document, or JSON lines (one request per line). */
function parseRequests(text: string): unknown[] {
	try {
		const doc = JSON.parse(text) as unknown;
		return Array.isArray(doc) ? doc : [doc];
	} catch (whole) {
		const lines = text.split('\n').filter((l) => l.trim());
		if (lines.length < 2) throw new SampleError(`Not JSON: ${(whole as Error).message}`);
		return lines.map((l, i) => {
			try {
				return JSON.parse(l) as unknown;
			} catch (e) {
				throw new SampleError(`Not JSON (nor JSON lines): line ${i + 1}: ${(e as Error).message}`);
			}
		});
	}
}

/** Services that sent spans in the last `sinceHours` hours, busiest first: the sample picker's choices. */
export async function servicesSeen(sinceHours = 24, d: Db = db()): Promise<{ service: string; spans: number }[]> {
	const rows = await d.query<{ service: string; spans: number | string }>(sql`
		SELECT ServiceName AS service, count() AS spans FROM otel_traces
		WHERE Timestamp >= now() - toIntervalHour(${{ UInt32: sinceHours }})
		GROUP BY ServiceName ORDER BY spans DESC, service LIMIT 200`);
	return rows.map((r) => ({ service: r.service, spans: Number(r.spans) }));
}

/** Every pack with what it maps, and whether the document turns it on (all when it does not parse). */
export function packsOf(document: string): { name: string; title: string; description: string; on: boolean }[] {
	let on: readonly string[] = PACKS;
	try {
		on = parseRules(document, EDITED).packs;
	} catch (e) {
		if (!(e instanceof RulesError)) throw e;
	}
	return PACKS.map((name) => ({ name, title: PACKS_BY_NAME[name].title, description: PACKS_BY_NAME[name].description, on: on.includes(name) }));
}
