/** Lineage over HTTP: the API's shape and validation, deep links with awkward keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/lib/server/auth/tokens';
import { testApp, userWithRole, type TestApp } from '../helpers/app';
import { hex, logRow, spanRow, step } from './rows';

let app: TestApp;
let token: string;
const trace = hex(16);
beforeAll(async () => {
	app = await testApp();
	// a token acts for a person: its creator
	token = (await createApiToken({ name: 'lineage', role: 'viewer', createdBy: (await userWithRole(app, 'viewer')).id })).token;
	const t0 = Date.now() - 60_000;
	await app.db.insertRows('otel_traces', [
		spanRow({ traceId: trace, service: 'edi-gateway', name: 'EDI 850 send', start: t0, ms: 900, attrs: step('PO/4500012', 'supplier.send-po', 'erp', 'supplier:acme') })
	]);
	await app.db.insertRows('otel_logs', [
		logRow({ time: t0 + 1000, traceId: trace, service: 'edi-gateway', eventName: 'integration.ack', body: '997', attrs: step('PO/4500012', 'supplier.po-ack', 'supplier:acme', 'erp') })
	]);
});
afterAll(async () => app?.close());

const api = (q: string) => fetch(`${app.url}/api/v1/lineage${q}`, { headers: { authorization: `Bearer ${token}` } });

describe('GET /api/v1/lineage', () => {
	it('returns { key, traces, spans, logs } for a key with a slash', async () => {
		const r = await api('?key=' + encodeURIComponent('PO/4500012'));
		expect(r.status).toBe(200);
		const body = await r.json();
		expect(body).toEqual({
			key: 'PO/4500012',
			traces: [trace],
			spans: [expect.objectContaining({ traceId: trace, service: 'edi-gateway', name: 'EDI 850 send', durationMs: 900, status: 'Ok', flow: 'order-to-cash', step: 'supplier.send-po', source: 'erp', target: 'supplier:acme', outcome: 'success' })],
			logs: [{ time: expect.any(String), service: 'edi-gateway', eventName: 'integration.ack', body: '997', flow: 'order-to-cash', step: 'supplier.po-ack' }]
		});
		expect(Date.parse(body.spans[0].start)).toBeGreaterThan(Date.now() - 120_000);
	});

	it('answers 400 without a key or with one too long', async () => {
		expect((await api('')).status).toBe(400);
		expect((await api('?key=%20')).status).toBe(400);
		expect((await api('?key=' + 'x'.repeat(201))).status).toBe(400);
	});
});

describe('lineage pages', () => {
	it('deep-links a key with a slash, and the search redirects to it', async () => {
		const { client } = await userWithRole(app, 'viewer');
		const search = await client.fetch('/lineage?q=' + encodeURIComponent('PO/4500012'));
		expect(search.status).toBe(303);
		const location = search.headers.get('location')!;
		expect(location).toBe('/lineage/PO%2F4500012');
		const page = await client.fetch(location);
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).toContain('PO/4500012');
		expect(html).toContain('EDI 850 send');
	});

	it('streams the lineage: the loading state first, then the (empty) result', async () => {
		const { client } = await userWithRole(app, 'operator');
		const html = await (await client.fetch('/lineage/SO-nobody')).text();
		expect(html).toContain('data-testid="lineage-loading"');
		expect(html).toMatch(/resolve\(1, \(\) => \[\{key:"SO-nobody",matchedAs:\[\],traces:\[\],spans:\[\]/);
		// the rendered empty state is checked in the browser (tests/e2e/lineage.spec.ts)
	});
});
