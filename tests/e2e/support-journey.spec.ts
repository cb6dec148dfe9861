/**
 * The support journey in the browser: find → understand → edit → request → approve (a second
 * person) → resolved. An operator finds the failed order in the queue (what needs a person, by value
 * at risk), reads the next step on its page, corrects the dead-letter payload in the editor (with a
 * diff) and requests the replay; a viewer sees whom to ask; an approver reviews the diff and
 * approves; the middleware receives the corrected payload once and its success resolves the
 * exception; the lineage page shows the failure with its state and the people's actions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, ADMIN } from './fixtures';
import { sendLog, sendSpan } from './otlp-json';
import { ExceptionPage } from './pages/exception-page';
import { exceptionId } from '../../src/lib/server/exceptions/ids';

const stamp = Date.now();
const OPERATOR = { email: `journey-op-${stamp}@e2e.example.com`, password: 'journey-operator-password-1' };
const APPROVER = { email: `journey-lead-${stamp}@e2e.example.com`, password: 'journey-approver-password-1' };
const VIEWER = { email: `journey-exec-${stamp}@e2e.example.com`, password: 'journey-viewer-password-1' };
const FLOW = 'order-to-cash';
const STEP = 'erp.create-sales-order';
const MESSAGE = `msg-journey-${stamp}`;
const ORDER = `SO-J-${stamp % 100000}`;
const attrs = {
	'integration.flow': FLOW,
	'integration.step': STEP,
	'integration.message_id': MESSAGE,
	'integration.correlation_id': ORDER,
	'integration.entity.type': 'sales_order',
	'integration.entity.id': ORDER,
	'integration.source': 'crm',
	'integration.target': 'erp',
	'integration.amount': '48250.00',
	'integration.currency': 'EUR'
};
const ORIGINAL = { orderId: ORDER, shipTo: null, lines: [{ sku: 'PUMP-220', qty: 4 }] };
const CORRECTED = { orderId: ORDER, shipTo: 'DE-80331-MUNICH', lines: [{ sku: 'PUMP-220', qty: 4 }] };

async function signInHydrated(page: import('@playwright/test').Page, who: { email: string; password: string }) {
	await page.goto('/login');
	await page.waitForLoadState('networkidle');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await expect(page.locator('input[name="email"]')).toHaveValue(who.email);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

test('support journey: find, understand, edit, request, approve, resolved', async ({ browser, syncscope }, testInfo) => {
	test.setTimeout(180_000);
	const shot = (page: import('@playwright/test').Page, name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

	// the middleware: records what it is asked to send, then reports success for the same message
	const received: { data: Record<string, string> }[] = [];
	const receiver = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			received.push(JSON.parse(Buffer.concat(chunks).toString()));
			await sendSpan(syncscope.otlpHttpURL, 'mule-o2c', { name: STEP, attrs: { ...attrs, 'integration.outcome': 'success' } });
			res.writeHead(200).end();
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	const hostPort = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
	try {
		const adminCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const api = adminCtx.request;
		const headers = { origin: syncscope.baseURL };
		expect((await api.post('/api/v1/session', { data: ADMIN, headers })).ok()).toBe(true);
		for (const [u, role] of [[OPERATOR, 'operator'], [APPROVER, 'approver'], [VIEWER, 'viewer']] as const) {
			const r = await api.post('/api/v1/users', { data: { ...u, role }, headers });
			expect(r.status(), await r.text()).toBeLessThan(300);
		}
		expect((await api.post('/api/v1/action-endpoints/allowlist', { data: { hostPort }, headers })).ok()).toBe(true);
		const ep = await api.post('/api/v1/action-endpoints', { data: { name: 'MuleSoft order API', url: `http://${hostPort}/hook`, flows: [FLOW] }, headers });
		expect(ep.status(), await ep.text()).toBe(201);

		// the ERP refuses the order (no ship-to) and the middleware dead-letters it
		const traceId = await sendSpan(syncscope.otlpHttpURL, 'mule-o2c', {
			name: STEP,
			attrs: { ...attrs, 'integration.outcome': 'failed', 'integration.error.class': 'validation', 'integration.error.code': 'SHIPTO_MISSING' },
			error: 'The ship-to party is missing on the sales order header; the ERP cannot determine the delivering plant or the tax jurisdiction for this customer',
			at: Date.now() - 300_000
		});
		await sendLog(syncscope.otlpHttpURL, 'mule-o2c', { eventName: 'integration.dead_letter', body: JSON.stringify(ORIGINAL), attrs: { ...attrs, 'integration.error.class': 'validation', 'integration.error.code': 'SHIPTO_MISSING' }, traceId, at: Date.now() - 299_000 });
		const id = exceptionId(FLOW, MESSAGE);

		// FIND: the queue opens on what needs a person; the operator searches the order
		const opCtx = await browser.newContext({ baseURL: syncscope.baseURL, viewport: { width: 1440, height: 900 } });
		const op = await opCtx.newPage();
		await signInHydrated(op, OPERATOR);
		await expect(async () => {
			await op.goto('/exceptions');
			await expect(op.getByTestId('exception-row').filter({ hasText: ORDER })).toHaveCount(1, { timeout: 1000 });
		}).toPass({ timeout: 30_000 });
		await expect(op.getByRole('link', { name: 'Needs a person' })).toHaveAttribute('aria-current', 'page');
		await expect(op.getByTestId('signatures')).toContainText('SHIPTO_MISSING');
		await shot(op, '1-queue');
		await op.getByRole('searchbox', { name: 'Business key' }).fill(ORDER);
		await op.getByRole('button', { name: 'Filter' }).click();
		await expect(op.getByTestId('exception-row')).toHaveCount(1);
		await expect(op.getByTestId('total')).toContainText('1 exception');

		// UNDERSTAND: the page leads with the runbook and the recommended action
		await op.getByTestId('exception-row').getByRole('link', { name: FLOW }).click();
		const opPage = new ExceptionPage(op);
		await expect(opPage.state()).toHaveText('open', { timeout: 15_000 });
		await expect(op.getByTestId('next-step')).toContainText('ERP refused the sales order');
		await expect(op.getByTestId('recommended')).toContainText('request replay');
		await expect(op.getByTestId('primary-action')).toHaveText('Request replay');
		await expect(opPage.button('discard')).toHaveClass(/danger/);
		await expect(op.getByTestId('action-panel').locator('textarea[name="comment"]')).toHaveCount(1);
		await expect(op.locator('body')).not.toContainText(/\d+(\.\d+)? ms ago/);
		await shot(op, '2-exception-next-step');

		// EDIT: correct the ship-to in the payload; the diff shows the change
		await opPage.editPayload(JSON.stringify(CORRECTED, null, 2));
		await expect(op.getByTestId('payload-editor')).toHaveValue(/DE-80331-MUNICH/);
		await shot(op, '3-edit-payload');

		// REQUEST
		await opPage.act('request_replay', 'Ship-to added from the customer master', 'replay requested');
		await expect(op.getByTestId('pending')).toContainText('A different person must approve it');
		await expect(op.getByTestId('pending')).toContainText('corrected payload');
		expect(received).toHaveLength(0);
		await shot(op, '4-requested');

		// a viewer sees the same page and whom to ask
		const vCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const viewer = await vCtx.newPage();
		await signInHydrated(viewer, VIEWER);
		await new ExceptionPage(viewer).open(id);
		await expect(viewer.getByTestId('no-actions')).toContainText(APPROVER.email);
		await expect(viewer.getByTestId('action-panel')).toHaveCount(0);
		await shot(viewer, '5-viewer-whom-to-ask');

		// APPROVE: a second person reviews the diff and approves
		const apCtx = await browser.newContext({ baseURL: syncscope.baseURL, viewport: { width: 1440, height: 900 } });
		const ap = await apCtx.newPage();
		await signInHydrated(ap, APPROVER);
		const apPage = new ExceptionPage(ap);
		await apPage.open(id);
		await expect(ap.getByTestId('approve-review')).toContainText('DE-80331-MUNICH');
		await expect(ap.getByTestId('approve-review')).toContainText('−1 line, +1 line');
		await expect(ap.getByTestId('primary-action')).toHaveText('Approve replay');
		await shot(ap, '6-approver-review');
		await apPage.panel().locator('textarea[name="comment"]').fill('Ship-to matches the customer master');
		await apPage.button('approve_replay').click();

		// RESOLVED: the corrected payload went out once; the success telemetry resolves the exception
		await expect(apPage.state()).toHaveText('resolved', { timeout: 40_000 });
		expect(received).toHaveLength(1);
		expect(JSON.parse(received[0].data.payload)).toEqual(CORRECTED);
		await expect(apPage.history()).toContainText('resolved by successful delivery');
		await shot(ap, '7-resolved');

		// the lineage acts: the failure links to its exception with its state and the people's actions
		await ap.goto(`/lineage/${ORDER}`);
		const failures = ap.getByTestId('lineage-failures');
		await expect(failures).toBeVisible({ timeout: 20_000 });
		await expect(failures.getByTestId('lineage-failure')).toContainText('resolved');
		await expect(failures.getByRole('link', { name: 'Open exception' })).toHaveAttribute('href', `/exceptions/${id}`);
		const actions = ap.getByTestId('lineage-actions');
		await expect(actions).toContainText(`replay requested · ${STEP} — ${OPERATOR.email}`);
		await expect(actions).toContainText(`replay approved · ${STEP} — ${APPROVER.email}`);
		await expect(actions).toContainText('delivered to the middleware');
		await shot(ap, '8-lineage');
		await Promise.all([adminCtx.close(), opCtx.close(), vCtx.close(), apCtx.close()]);
	} finally {
		receiver.closeAllConnections();
		await new Promise<void>((r) => receiver.close(() => r()));
	}
});
