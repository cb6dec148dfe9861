/**
 * Properties of the rule language and the engine:
 * - any rule document yields exactly its own validation errors: each injected mistake is reported
 *   at its own path, nothing valid is reported, nothing wrong is dropped silently;
 * - explicit integration.* attributes always win over every rule, pack and convention;
 * - interpreting what was stored (derived facts stripped by syncscope.derived) gives the same facts
 *   again: re-interpretation is idempotent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derivedMembers } from '../../collector/interpret';
import { interpretBatch } from '../../src/lib/server/interpret/batch';
import { emptyItem, FACTS, type Item } from '../../src/lib/server/interpret/facts';
import { buildRules, parseRules, RulesError } from '../../src/lib/server/interpret/ruleset';
import { originalAttributes } from '../../src/lib/server/interpret/stored';
import type { Catalogue } from '../../src/lib/server/flows/schema';

const EMPTY: Catalogue = { flows: [] };

/** A valid rule, or one with a single known mistake; `bad` is the path the validator must name. */
type Piece = { rule: Record<string, unknown>; bad: string | null };

const ruleId = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const fact = fc.constantFrom(...FACTS);
const literal = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/);
const attrName = fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/);

const validRule = fc.record({ id: ruleId, f: fact, v: literal, service: literal, attr: attrName }).map(({ id, f, v, service, attr }) => ({
	id,
	when: { service, attr: { [attr]: '*' } },
	set: { [f]: v, correlation_id: { from: `attr:${attr}` } }
}));

const MISTAKES: ((r: Record<string, unknown>) => { rule: Record<string, unknown>; at: string })[] = [
	(r) => ({ rule: { ...r, set: { ...(r.set as object), 'flow.nme': 'x' } }, at: 'set.flow.nme' }),
	(r) => ({ rule: { ...r, when: { ...(r.when as object), route: '/([/' } }, at: 'when.route' }),
	(r) => ({ rule: { ...r, when: { ...(r.when as object), servce: 'x' } }, at: 'when' }),
	(r) => ({ rule: { ...r, set: { ...(r.set as object), step: { from: 'header:x' } } }, at: 'set.step.from' }),
	(r) => ({ rule: { ...r, set: { ...(r.set as object), step: { from: 'body', path: 'order.id' } } }, at: 'set.step.path' }),
	(r) => ({ rule: { ...r, when: { ...(r.when as object), kind: 'serverr' } }, at: 'when.kind' })
];

const piece: fc.Arbitrary<Piece> = fc.tuple(validRule, fc.option(fc.integer({ min: 0, max: MISTAKES.length - 1 }), { nil: null })).map(([r, m]) => {
	if (m === null) return { rule: r, bad: null };
	const { rule, at } = MISTAKES[m](r);
	return { rule, bad: at };
});

describe('rule validation', () => {
	it('reports exactly the injected mistakes, each at its own path', () => {
		fc.assert(
			fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
				// unique ids, so duplicates are not an accidental extra mistake
				const rules = pieces.map((p, i) => ({ ...p.rule, id: `r${i}-${String(p.rule.id)}` }));
				const expected = pieces.flatMap((p, i) => (p.bad ? [`rules.${i}.${p.bad}`] : [])).sort();
				let got: string[] = [];
				try {
					parseRules(JSON.stringify({ rules }), 'doc');
				} catch (e) {
					expect(e).toBeInstanceOf(RulesError);
					got = (e as RulesError).issues.map((i) => i.split(': ')[1]).sort();
				}
				expect(got).toEqual(expected);
			}),
			{ numRuns: 300 }
		);
	});

	it('names a duplicate rule id and an unknown pack, and accepts an empty document', () => {
		expect(() => parseRules('rules:\n  - { id: a, set: { flow: x } }\n  - { id: a, set: { flow: y } }\npacks: [semconv, tibco]\n')).toThrow(
			/packs\.1: [\s\S]*rules\.1\.id: duplicate rule id a/
		);
		expect(parseRules('').packs).toContain('semconv');
	});
});

const explicitFacts = fc.dictionary(fact, literal, { minKeys: 1 });

function itemWith(attrs: Record<string, string>, over: Partial<Item> = {}): Item {
	return emptyItem({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), service: 'svc', name: 'POST', kind: 'Server', status: 'Error', attrs, ...over });
}

describe('the engine', () => {
	it('never overrides an explicit integration.* attribute', () => {
		fc.assert(
			fc.property(explicitFacts, fc.array(validRule, { maxLength: 5 }), literal, (explicit, rules, other) => {
				// rules that would set every fact to something else, on every span
				const overriding = { id: 'everything', set: Object.fromEntries(FACTS.map((f) => [f, other])) };
				const rs = buildRules(parseRules(JSON.stringify({ rules: [overriding, ...rules.map((r, i) => ({ ...r, id: `r${i}` }))] })), EMPTY);
				const attrs = Object.fromEntries(Object.entries(explicit).map(([f, v]) => [`integration.${f}`, v]));
				const [d] = interpretBatch([itemWith({ ...attrs, 'http.response.status_code': '503' })], rs.compiled);
				for (const [f, v] of Object.entries(explicit)) {
					expect(d.facts[f]).toBe(v);
					expect(d.by[f]).toBe('explicit');
				}
			}),
			{ numRuns: 200 }
		);
	});

	it('derives the same facts again from what it stored (re-interpretation is idempotent)', () => {
		const rs = buildRules(
			parseRules(`
keys: { correlation_id: [{ from: 'attr:http.request.header.x-correlation-id' }] }
rules:
  - { id: in, when: { kind: server, route: /orders }, set: { flow: order-intake, step: receive } }
  - { id: out, when: { kind: client, flow: order-intake }, set: { step: erp.create, target: erp } }
`),
			EMPTY
		);
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 599 }), fc.integer({ min: 100, max: 599 }), fc.boolean(), (serverStatus, clientStatus, explicitFlow) => {
				const server = itemWith(
					{ 'http.route': '/orders', 'http.response.status_code': String(serverStatus), 'http.request.header.x-correlation-id': '["SO-1"]', ...(explicitFlow ? { 'integration.flow': 'mine' } : {}) },
					{ status: serverStatus >= 500 ? 'Error' : 'Unset' }
				);
				const client = itemWith({ 'http.response.status_code': String(clientStatus) }, { spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), kind: 'Client', name: 'POST', status: clientStatus >= 400 ? 'Error' : 'Unset' });
				const first = interpretBatch([server, client], rs.compiled);
				// store: attributes + derived members, then read back and strip
				const stored = [server, client].map((it, i) => ({ ...it, attrs: originalAttributes({ ...it.attrs, ...JSON.parse(`{${derivedMembers(first[i])}}`) }) }));
				const again = interpretBatch(stored, rs.compiled);
				expect(again).toEqual(first);
			}),
			{ numRuns: 300 }
		);
	});

	it('follows the HTTP conventions for a server 4xx: a failure only within a flow (a probe is nobody’s exception)', () => {
		const rs = buildRules(parseRules("rules:\n  - { id: in, when: { kind: server, name: 'POST*' }, set: { flow: order-intake } }"), EMPTY);
		const probe = itemWith({ 'http.route': '/orders', 'http.status_code': '404' }, { name: 'OPTIONS', status: 'Unset' });
		const order = itemWith({ 'http.route': '/orders', 'http.status_code': '422' }, { name: 'POST /orders', status: 'Unset' });
		const down = itemWith({ 'http.status_code': '503' }, { name: 'GET /health', status: 'Error' });
		const [p, o, d] = interpretBatch([probe, { ...order, traceId: 'c'.repeat(32) }, { ...down, traceId: 'd'.repeat(32) }], rs.compiled);
		expect(p.facts.outcome).toBeUndefined();
		expect(o.facts).toMatchObject({ flow: 'order-intake', outcome: 'failed', 'error.code': 'HTTP 422', 'error.class': 'validation' });
		expect(d.facts).toMatchObject({ outcome: 'failed', 'error.code': 'HTTP 503', 'error.class': 'transport' });
	});
});
