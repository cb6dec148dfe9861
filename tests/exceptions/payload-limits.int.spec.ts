/**
 * Large dead letters (issue 14, finding 8): the exception page carries at most 64 KiB of a payload
 * and links the rest as a download, and a payload the collector cut at ingest is never replayed
 * (re-sending it would deliver a broken message).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, userWithRole, type Client, type TestApp } from '../helpers/app';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { truncate } from '../../src/lib/server/truncation';
import { failMessage, type Msg } from './telemetry';

let app: TestApp;
let viewer: Client, operator: Client;
const m = (n: string): Msg => ({ flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: n, correlationId: `SO-${n}`, amount: 10, currency: 'EUR', errorClass: 'validation', errorCode: 'SHIPTO' });
const big = JSON.stringify({ order: 'SO-big', lines: Array.from({ length: 8000 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 7 })) });

beforeAll(async () => {
	setRunbookFiles(undefined);
	app = await testApp({ runbooksDir: 'runbooks', secretKey: randomBytes(32).toString('base64') });
	[viewer, operator] = (await Promise.all(['viewer', 'operator'].map((r) => userWithRole(app, r as 'viewer')))).map((u) => u.client);
	await failMessage(app.db, m('big-1'), big);
	await failMessage(app.db, m('cut-1'), truncate(big, 4096).text);
});
afterAll(async () => app?.close());

describe('a large dead letter', () => {
	it('the page shows the first 64 KiB and links the whole payload', async () => {
		expect(Buffer.byteLength(big)).toBeGreaterThan(200_000);
		const page = await viewer.fetch(`/exceptions/${exceptionId('order-to-cash', 'big-1')}`);
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html.length).toBeLessThan(200_000);
		expect(html).toContain('Showing the first 64 KiB');
		const whole = await viewer.fetch(`/exceptions/${exceptionId('order-to-cash', 'big-1')}/payload`);
		expect(whole.status).toBe(200);
		expect(whole.headers.get('content-disposition')).toMatch(/^attachment/);
		expect(await whole.text()).toBe(big);
	});

	it('a payload cut at ingest is marked on the page and its replay is refused with the reason', async () => {
		const id = exceptionId('order-to-cash', 'cut-1');
		expect(await (await viewer.fetch(`/exceptions/${id}`)).text()).toContain('it was cut at ingest');
		const res = await operator.fetch(`/api/v1/exceptions/${id}/actions`, { json: { action: 'request_replay', comment: 'replay the order' } });
		expect(res.status).toBe(409);
		expect((await res.json()).message).toMatch(/cut at ingest/);
	});
});
