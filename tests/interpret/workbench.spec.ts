/**
 * The rule workbench's preview over real Node-RED output (Node.js auto-instrumentation, no Node-RED
 * plugin: tests/nodered/fixtures): without rules nothing is classified and no order ID is found; two
 * rules and a key turn the server and client spans into steps of order-intake with the order's
 * correlation ID, the ERP's 422/503 on the client span and the server span relayed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../src/lib/server/interpret/facts';
import { itemsFromOtlpJson, packsOf, preview, SampleError, type PreviewRow } from '../../src/lib/server/interpret/workbench';

const FIXTURE = readFileSync(new URL('../nodered/fixtures/nodered-orders.otlp.json', import.meta.url), 'utf8');
const SERVICE = 'node-red-orders';
const ORDERS = { 'SO-NR-1001': 201, 'SO-NR-1004': 422, 'SO-NR-1007': 503 } as const;

const RULES = `
keys:
  correlation_id: [{ from: 'attr:http.request.header.x_correlation_id' }]
rules:
  - id: orders-in
    when: { service: node-red*, kind: server, route: /orders }
    set: { flow: order-intake, step: receive-order }
  - id: erp-call
    when: { kind: client, flow: order-intake }
    set: { step: erp.create-order, target: erp }
`;

function sample(): Item[] {
	const { items, rejected } = itemsFromOtlpJson(FIXTURE);
	expect(rejected).toBe('');
	return items;
}

function ok(p: ReturnType<typeof preview>) {
	if (!p.ok) throw new Error(`preview refused the rules:\n${p.issues.join('\n')}`);
	return p;
}

const fact = (r: PreviewRow, name: string) => r.facts.find((f) => f.fact === name);
/** the order a trace carries, read from the captured request header */
const orderOf = (items: Item[], traceId: string) => {
	const server = items.find((it) => it.traceId === traceId && it.kind === 'Server')!;
	return JSON.parse(server.attrs['http.request.header.x_correlation_id'])[0] as keyof typeof ORDERS;
};

describe('itemsFromOtlpJson', () => {
	it('decodes every span with all its attributes and the resource', () => {
		const items = sample();
		expect(items).toHaveLength(24);
		expect(new Set(items.map((it) => it.service))).toEqual(new Set([SERVICE]));
		const server = items.filter((it) => it.kind === 'Server');
		expect(server).toHaveLength(3);
		// no rule names these: the workbench sees what a new rule could read
		expect(server[0].attrs['http.user_agent']).toBe('node');
		expect(server[0].attrs['http.request.header.x_correlation_id']).toMatch(/^\["SO-NR-\d+"\]$/);
		expect(server[0].resource['process.runtime.name']).toBe('nodejs');
	});

	it('says what is wrong with text that is not an OTLP/JSON export', () => {
		expect(() => itemsFromOtlpJson('')).toThrow(/Paste an OTLP\/JSON export/);
		expect(() => itemsFromOtlpJson('{"resourceSpans": [')).toThrow(SampleError);
		expect(() => itemsFromOtlpJson('{"resourceSpans": [')).toThrow(/^Not JSON/);
		expect(() => itemsFromOtlpJson('{"spans": []}')).toThrow(/expected \{"resourceSpans".*found spans/);
		expect(() => itemsFromOtlpJson('{"resourceSpans": {}}')).toThrow(/not valid OTLP\/JSON: resourceSpans must be an array/);
		expect(() => itemsFromOtlpJson('{"resourceSpans": []}')).toThrow(/no spans or log records/);
	});

	it('reads JSON lines (the Collector file exporter) and counts spans the collector would reject', () => {
		const doc = JSON.parse(FIXTURE);
		const bad = structuredClone(doc);
		bad.resourceSpans[0].scopeSpans[0].spans[0].traceId = '00';
		const { items, rejected } = itemsFromOtlpJson(`${JSON.stringify(doc)}\n${JSON.stringify(bad)}\n`);
		expect(items).toHaveLength(47);
		expect(rejected).toMatch(/trace_id must be 16 bytes/);
	});

	it('keeps every span event, for rules that read event:<name>:<attribute>', () => {
		const doc = JSON.parse(FIXTURE);
		const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
		span.events = [{ name: 'error', attributes: [{ key: 'message', value: { stringValue: 'ERP refused' } }] }];
		const [item] = itemsFromOtlpJson(JSON.stringify(doc)).items;
		expect(item.events).toEqual([{ name: 'error', attrs: { message: 'ERP refused' } }]);
	});

	it('takes log records too', () => {
		const logs = {
			resourceLogs: [
				{
					resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] },
					scopeLogs: [{ logRecords: [{ eventName: 'order.received', body: { stringValue: '{"order":"SO-NR-1001"}' }, attributes: [] }] }]
				}
			]
		};
		const { items } = itemsFromOtlpJson(JSON.stringify(logs));
		expect(items).toMatchObject([{ signal: 'log', service: SERVICE, eventName: 'order.received', body: '{"order":"SO-NR-1001"}' }]);
	});
});

describe('preview', () => {
	it('without rules: nothing classified, no correlation ID, every span shape listed as unclassified', () => {
		const p = ok(preview('', sample()));
		expect(p.coverage).toEqual([{ service: SERVICE, spans: 24, classified: 0, percent: 0 }]);
		expect(p.rows.every((r) => !r.classified && !fact(r, 'correlation_id') && !fact(r, 'flow'))).toBe(true);
		expect(p.unclassified.reduce((n, g) => n + g.count, 0)).toBe(24);
		expect(p.unclassified).toContainEqual({ service: SERVICE, name: 'POST /orders', kind: 'Server', route: '/orders', count: 3 });
		expect(p.unclassified).toContainEqual({ service: SERVICE, name: 'middleware - query', kind: 'Internal', route: '', count: 6 });
		// the conventions still see the ERP's failures
		expect(p.rules.find((r) => r.id === 'semconv.http-status')).toMatchObject({ origin: 'conventions' });
		expect(p.diff).toBeNull();
	});

	it('with the order-intake rules: order IDs, ERP errors on the client span, the server span relayed', () => {
		const items = sample();
		const p = ok(preview(RULES, items));
		expect(p.coverage).toEqual([{ service: SERVICE, spans: 24, classified: 6, percent: 25 }]);

		for (const r of p.rows.filter((r) => r.kind === 'Client')) {
			const order = orderOf(items, r.traceId);
			const status = ORDERS[order];
			expect(r.classified).toBe(true);
			expect(fact(r, 'flow')).toEqual({ fact: 'flow', value: 'order-intake', by: 'trace' });
			expect(fact(r, 'step')).toEqual({ fact: 'step', value: 'erp.create-order', by: 'erp-call' });
			expect(fact(r, 'target')?.value).toBe('erp');
			expect(fact(r, 'correlation_id')).toEqual({ fact: 'correlation_id', value: order, by: 'keys.correlation_id.0' });
			if (status === 201) expect(fact(r, 'outcome')?.value).toBe('success');
			else {
				expect(fact(r, 'outcome')?.value).toBe('failed');
				expect(fact(r, 'error.code')).toEqual({ fact: 'error.code', value: `HTTP ${status}`, by: 'semconv.http-status' });
				expect(fact(r, 'error.class')?.value).toBe(status === 422 ? 'validation' : 'transport');
			}
		}

		const server = (order: string) => p.rows.find((r) => r.kind === 'Server' && orderOf(items, r.traceId) === order)!;
		expect(fact(server('SO-NR-1007'), 'outcome')).toEqual({ fact: 'outcome', value: 'relayed', by: 'deepest-failure' });
		expect(fact(server('SO-NR-1004'), 'outcome')?.value).toBe('relayed');
		expect(fact(server('SO-NR-1001'), 'outcome')?.value).toBe('success');
		expect(fact(server('SO-NR-1001'), 'step')).toEqual({ fact: 'step', value: 'receive-order', by: 'orders-in' });

		// the express plumbing spans are what is left, each shape once with its count
		expect(p.unclassified.map((g) => `${g.name}×${g.count}`).sort()).toEqual([
			'middleware - expressInit×6',
			'middleware - mounted_app×3',
			'middleware - query×6',
			'request handler - /orders×3'
		]);
		expect(p.rules.slice(0, 3)).toEqual([
			{ id: 'orders-in', origin: 'rules', items: 3, facts: ['flow', 'step'] },
			{ id: 'erp-call', origin: 'rules', items: 3, facts: ['step', 'target'] },
			{ id: 'keys.correlation_id.0', origin: 'keys', items: 6, facts: ['correlation_id'] }
		]);
	});

	it('lists spans of a trace parent first, children indented', () => {
		const p = ok(preview(RULES, sample()));
		const trace = p.rows.filter((r) => r.traceId === p.rows[0].traceId);
		expect(trace[0]).toMatchObject({ kind: 'Server', depth: 0 });
		expect(trace.at(-1)).toMatchObject({ kind: 'Client', depth: 3 });
		expect(trace.map((r) => r.depth)).toEqual([0, 1, 1, 1, 2, 2, 2, 3]);
	});

	it('lists a rule that never fires, with no hits', () => {
		const p = ok(preview(`${RULES}  - id: never\n    when: { service: camel-* }\n    set: { flow: nothing }\n`, sample()));
		expect(p.rules.find((r) => r.id === 'never')).toEqual({ id: 'never', origin: 'rules', items: 0, facts: [] });
	});

	it('shows what changes against the rules in use', () => {
		const p = ok(preview(RULES, sample(), ''));
		expect(p.diff!.items).toBe(24);
		expect(p.diff!.facts.find((f) => f.fact === 'step')).toEqual({ fact: 'step', added: 6, changed: 0, removed: 0 });
		const client = p.rows.find((r) => r.kind === 'Client')!;
		expect(client.changes).toContainEqual({ fact: 'step', before: '', after: 'erp.create-order' });

		const renamed = ok(preview(RULES.replace('step: receive-order', 'step: order.received'), sample(), RULES));
		expect(renamed.diff).toEqual({ items: 3, facts: [{ fact: 'step', added: 0, changed: 3, removed: 0 }] });
		expect(ok(preview(RULES, sample(), RULES)).diff).toEqual({ items: 0, facts: [] });
	});

	it('lists every problem of an invalid document, naming an unknown fact', () => {
		const p = preview('rules:\n  - id: Orders\n    set: { flw: order-intake }\n', sample());
		expect(p.ok).toBe(false);
		if (p.ok) return;
		expect(p.issues).toHaveLength(2);
		expect(p.issues).toContain('rules.0.id: lower-case letters, digits and . _ : -');
		expect(p.issues.find((i) => i.startsWith('rules.0.set.flw: '))).toMatch(/unknown fact "flw": one of flow, step/);
	});

	it('lists a duplicate rule id beside the other problems', () => {
		const p = preview('rules:\n  - id: a\n    set: { flow: x }\n  - id: a\n    set: { flw: y }\n', []);
		expect(p).toEqual({ ok: false, issues: [expect.stringMatching(/^rules\.1\.set\.flw: unknown fact "flw"/), 'rules.1.id: duplicate rule id a'] });
	});

	it('names the nested problem of a value or a kind, and a YAML syntax error', () => {
		const p = preview("keys:\n  order: [{ form: 'attr:x' }]\nrules:\n  - id: a\n    when: { kind: sever }\n    set: { flow: x }\n", []);
		expect(p).toEqual({
			ok: false,
			issues: ['keys.order.0.from: Invalid input: expected string, received undefined', 'keys.order.0: Unrecognized key: "form"', expect.stringMatching(/^rules\.0\.when\.kind: Invalid option: expected one of "internal"\|"server"/)]
		});
		const yaml = preview('rules: [\n', []);
		expect(yaml.ok).toBe(false);
		if (!yaml.ok) expect(yaml.issues).toEqual([expect.stringMatching(/^not valid YAML: /)]);
	});
});

describe('packsOf', () => {
	it('marks the packs a document turns on, all when it lists none', () => {
		expect(packsOf('').every((p) => p.on)).toBe(true);
		const some = packsOf('packs: [semconv]\n');
		expect(some.filter((p) => p.on).map((p) => p.name)).toEqual(['semconv']);
		expect(some.find((p) => p.name === 'node-red')).toMatchObject({ title: expect.stringContaining('Node-RED'), description: expect.any(String), on: false });
	});
});
