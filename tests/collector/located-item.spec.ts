/**
 * The protobuf decoders hand the rules items whose attributes are located, not decoded
 * (collector/signals/located-item.ts): a value is decoded when a rule first reads it. The rows must
 * be those the OTLP/JSON decoder (plain items) gives for the same request.
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../collector/ingest';
import { Interpreter } from '../../collector/interpret';
import { LocatedItem } from '../../collector/signals/located-item';
import type { Catalogue } from '../../src/lib/server/flows/schema';
import { buildRules, parseRules, setActiveRules } from '../../src/lib/server/interpret/ruleset';
import { encodeTraces, tracesJson, type TKV, type TResourceSpans } from '../helpers/otlp-encode';

const EMPTY: Catalogue = { flows: [] };
const RULES = `
packs: [semconv]
keys:
  sales_order: [{ from: 'attr:order.number' }]
rules:
  - id: by-port
    when: { attr: { server.port: '1880' } }
    set: { flow: node-intake, source: webshop, target: { from: 'attr:peer.name', path: '$.host' } }
  - id: by-header
    set: { correlation_id: { from: 'attr:http.request.header.x-correlation-id' } }
`;

function request(attributes: TKV[][]): TResourceSpans[] {
	const now = BigInt(Date.now() - 60_000) * 1_000_000n;
	return [
		{
			resource: [{ key: 'service.name', value: { s: 'intake' } }],
			scopes: [
				{
					name: 'test',
					spans: attributes.map((attrs, i) => ({
						traceId: Buffer.alloc(16, i + 1),
						spanId: Buffer.alloc(8, i + 1),
						name: 'POST /orders',
						kind: 2,
						start: now,
						end: now + 1000n,
						attributes: attrs,
						status: { code: 0 }
					}))
				}
			]
		}
	];
}

const rows = (body: Buffer) => body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown[]);

describe('located attributes', () => {
	setActiveRules(buildRules(parseRules(RULES), EMPTY));
	const spans: TKV[][] = [
		// an int and a map read only through rules (server.port, peer.name), an array header, a business key
		[
			{ key: 'server.port', value: { i: 1880n } },
			{ key: 'peer.name', value: { kv: [{ key: 'host', value: { s: 'erp-1' } }] } },
			{ key: 'http.request.header.x-correlation-id', value: { arr: [{ s: 'SO-7' }] } },
			{ key: 'order.number', value: { s: 'SO-7' } },
			{ key: 'http.response.status_code', value: { i: 503n } }
		],
		// explicit facts win, including those whose values the interpretation never decodes (source, target)
		[
			{ key: 'server.port', value: { i: 1880n } },
			{ key: 'integration.source', value: { s: 'crm' } },
			{ key: 'integration.target', value: { s: '' } },
			{ key: 'integration.key.sales_order', value: { s: 'SO-8' } },
			{ key: 'integration.outcome', value: { s: 'success' } },
			{ key: 'http.response.status_code', value: { i: 500n } },
			{ key: 'syncscope.derived', value: { s: 'forged' } }
		],
		// a repeated key: the last value counts, as in the stored map
		[
			{ key: 'server.port', value: { s: '80' } },
			{ key: 'server.port', value: { i: 1880n } }
		]
	];

	it('gives the rows of the OTLP/JSON decoder', () => {
		const req = request(spans);
		const proto = decode('traces', 'proto', encodeTraces(req), new Interpreter());
		const json = decode('traces', 'json', Buffer.from(JSON.stringify(tracesJson(req))), new Interpreter());
		expect(proto.items[0]).toBeInstanceOf(LocatedItem);
		expect(rows(proto.body())).toEqual(rows(json.body()));
		const attrs = rows(proto.body()).map((r) => r[7] as Record<string, string>);
		expect(attrs[0]).toMatchObject({
			'integration.flow': 'node-intake',
			'integration.source': 'webshop',
			'integration.target': 'erp-1',
			'integration.correlation_id': 'SO-7',
			'integration.key.sales_order': 'SO-7',
			'integration.outcome': 'failed',
			'integration.error.code': 'HTTP 503'
		});
		expect(attrs[1]).toMatchObject({ 'integration.flow': 'node-intake', 'integration.source': 'crm', 'integration.target': '', 'integration.outcome': 'success' });
		expect(attrs[1]['syncscope.derived']).toBe('flow=by-port');
		expect(attrs[1]['integration.error.code']).toBeUndefined();
		expect(attrs[2]['integration.flow']).toBe('node-intake');
	});

	it('reads a value only when asked, and the same text as the plain view', () => {
		const sink = decode('traces', 'proto', encodeTraces(request(spans)), null as unknown as Interpreter);
		expect(sink.items).toHaveLength(0);
		const [first] = decode('traces', 'proto', encodeTraces(request(spans)), new Interpreter()).items as LocatedItem[];
		expect(first.get('server.port')).toBe('1880');
		expect(first.get('peer.name')).toBe('{"host":"erp-1"}');
		expect(first.get('http.request.header.x-correlation-id')).toBe('["SO-7"]');
		expect(first.get('url.path')).toBeUndefined();
		expect(first.attrs).toEqual({
			'server.port': '1880',
			'peer.name': '{"host":"erp-1"}',
			'http.request.header.x-correlation-id': '["SO-7"]',
			'order.number': 'SO-7',
			'http.response.status_code': '503'
		});
		expect(first.spanId).toBe('01'.repeat(8));
		expect(first.parentSpanId).toBe('');
	});
});
