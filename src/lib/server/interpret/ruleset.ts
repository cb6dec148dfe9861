/**
 * The rule set in use: the rule file (config/interpretation.yaml, or its newest console version),
 * the flow catalogue's `match` rules, the configured key aliases and the packs, compiled in
 * precedence order (engine.ts). One per process; the collector reads it on every request.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { Catalogue } from '../flows/schema';
import { attributesRead, compileRule, CONVENTION_ATTRIBUTES, eventsRead, type CompiledRule } from './engine';
import { FACTS } from './facts';
import { PACKS_BY_NAME } from './packs';
import { duplicateRuleIds, rulesFileSchema, PACKS, type Rule, type RuleInput, type RulesFile, type ValueInput } from './schema';
import { ruleSchema } from './schema';

export class RulesError extends Error {
	constructor(
		message: string,
		readonly issues: string[] = []
	) {
		super(message);
	}
}

/** Parse and validate a rule document (YAML or JSON); every problem is listed as "source: path: message". */
export function parseRules(text: string, source = 'interpretation.yaml'): RulesFile {
	let doc: unknown;
	try {
		doc = parse(text) ?? {};
	} catch (e) {
		const msg = `${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`;
		throw new RulesError(msg, [msg]);
	}
	const r = rulesFileSchema.safeParse(doc);
	const issues = [
		...(r.success ? [] : (r.error.issues as Issue[]).flatMap((i) => flatten(i, [])).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }))),
		...duplicateRuleIds(doc)
	].map((i) => `${source}: ${i.path}: ${i.message}`);
	if (issues.length > 0 || !r.success) throw new RulesError(`invalid interpretation rules\n  ${issues.join('\n  ')}`, issues);
	return r.data;
}

interface Issue {
	code: string;
	path: PropertyKey[];
	message: string;
	issues?: Issue[];
	errors?: Issue[][];
}

/**
 * The schema's own messages where zod wraps them: a bad record key (an unknown fact) reports only
 * "Invalid key in record" and a union (a value) only "Invalid input" at the top.
 */
function flatten(i: Issue, at: PropertyKey[]): Issue[] {
	const path = [...at, ...i.path];
	if (i.code === 'invalid_key' && i.issues?.length) return i.issues.flatMap((n) => flatten(n, path));
	if (i.code === 'invalid_union' && i.errors) {
		// the branch the value's type was meant for: not the one that wanted another type outright
		const branch = i.errors.find((b) => !b.some((n) => n.code === 'invalid_type' && n.path.length === 0));
		if (branch) return branch.flatMap((n) => flatten(n, path));
	}
	return [{ ...i, path }];
}

export function rulesFilePath(): string {
	return resolve(process.env.SYNCSCOPE_INTERPRETATION ?? 'config/interpretation.yaml');
}

/** The rule file's text ('' when there is none: packs only). */
export function readRulesFile(): string {
	const p = rulesFilePath();
	return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

const BUSINESS_KEYS = new Set(['correlation_id', 'message_id', 'idempotency_key']);

/** The fact a key name feeds: correlation_id/message_id/idempotency_key, an entity-less key.<name>. */
export function keyFact(name: string): string {
	return BUSINESS_KEYS.has(name) ? name : `key.${name}`;
}

/** Catalogue `match` blocks as rules: a flow's match sets the flow, a step's (within its flow) the step. */
export function catalogueRules(c: Catalogue): RuleInput[] {
	const out: RuleInput[] = [];
	for (const f of c.flows) {
		if (f.match) for (const [i, m] of f.match.entries()) out.push({ id: `catalogue.${f.id}.${i}`, when: m, set: { flow: f.id } });
	}
	for (const f of c.flows) {
		for (const s of f.steps) {
			for (const [i, m] of (s.match ?? []).entries()) {
				out.push({ id: `catalogue.${f.id}.step.${i}.${stepRuleId(s.id)}`, when: { ...m, flow: f.id }, set: { step: s.id } });
			}
		}
	}
	return out;
}

/** Step ids may be real span names ("POST /orders"); rule ids may not. */
function stepRuleId(step: string): string {
	return step.toLowerCase().replace(/[^a-z0-9._:-]+/g, '-').replace(/^-+/, '').slice(0, 40) || 'step';
}

/** Keys (the file's and SYNCSCOPE_KEY_ALIASES) as rules, each source tried in order. */
export function keyRules(keys: Record<string, ValueInput[]>, aliases: Record<string, string[]>): RuleInput[] {
	const all = new Map<string, ValueInput[]>();
	for (const [k, vs] of Object.entries(keys)) all.set(k, [...vs]);
	for (const [k, attrs] of Object.entries(aliases)) all.set(k, [...(all.get(k) ?? []), ...attrs.map((a) => ({ from: `attr:${a}` }))]);
	const out: RuleInput[] = [];
	for (const [k, vs] of all) vs.forEach((v, i) => out.push({ id: `keys.${k}.${i}`, set: { [keyFact(k)]: v } }));
	return out;
}

export interface ActiveRules {
	file: RulesFile;
	/** the catalogue compiled in (a catalogue save recompiles) */
	catalogue: Catalogue;
	aliases: Record<string, string[]>;
	/** 0: the file; 1…: console versions */
	version: number;
	compiled: CompiledRule[];
	/** attributes the hot path collects (every rule's, the conventions', and integration.*) */
	attributes: Set<string>;
	/** span events the hot path collects (`exception`, and every `event:<name>:…` a rule reads) */
	events: Set<string>;
}

/** Compile a rule file with the catalogue and aliases into the precedence order of engine.ts. */
export function buildRules(file: RulesFile, catalogue: Catalogue, aliases: Record<string, string[]> = {}, version = 0): ActiveRules {
	const layers: [string, RuleInput[]][] = [
		['rules', file.rules],
		['catalogue', catalogueRules(catalogue)],
		['keys', keyRules(file.keys, aliases)]
	];
	const packs = [...file.packs.filter((p) => p !== 'semconv'), ...(file.packs.includes('semconv') ? ['semconv' as const] : [])];
	for (const p of packs) layers.push([`pack:${p}`, PACKS_BY_NAME[p].rules]);
	const compiled: CompiledRule[] = [];
	const inputs: Rule[] = [];
	for (const [origin, rules] of layers) {
		for (const r of rules) {
			const parsed = ruleSchema.parse(r);
			inputs.push(parsed);
			compiled.push(compileRule(parsed, origin));
		}
	}
	const attributes = new Set([...attributesRead(inputs), ...CONVENTION_ATTRIBUTES]);
	return { file, catalogue, aliases, version, compiled, attributes, events: new Set(['exception', ...eventsRead(inputs)]) };
}

const KEY = Symbol.for('syncscope.interpretation');
type G = typeof globalThis & { [KEY]?: ActiveRules };

/** The rule set in use; recompiled when the flow catalogue in use changed since (an admin save). */
export function activeRules(): ActiveRules | undefined {
	const g = globalThis as G;
	const a = g[KEY];
	if (!a) return undefined;
	const c = currentCatalogue();
	if (c && c !== a.catalogue) g[KEY] = buildRules(a.file, c, a.aliases, a.version);
	return g[KEY];
}

const CATALOGUE = Symbol.for('syncscope.catalogue');
/** The catalogue set by flows/catalogue.ts, without loading one (the collector may run without it). */
function currentCatalogue(): Catalogue | undefined {
	return (globalThis as Record<symbol, Catalogue | undefined>)[CATALOGUE];
}

export function setActiveRules(a: ActiveRules | undefined): void {
	(globalThis as G)[KEY] = a;
}

/** Every fact name, for the workbench's columns. */
export const ALL_FACTS: readonly string[] = FACTS;
export const ALL_PACKS = PACKS;
