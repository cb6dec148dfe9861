/**
 * An operator and an approver complete a replay in the browser: failure telemetry arrives over
 * OTLP → the exception is in the queue → the operator requests a replay → the approver (a different
 * person) approves → the signed webhook reaches the middleware once → its success telemetry
 * resolves the exception. An admin configures the endpoint and allow-list through the console.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, ADMIN } from './fixtures';
import { sendLog, sendSpan } from './otlp-json';
import { ExceptionPage } from './pages/exception-page';
import { verify } from '../../src/lib/server/webhooks/signing';
import { exceptionId } from '../../src/lib/server/exceptions/ids';

const OPERATOR = { email: 'operator@e2e.example.com', password: 'operator-password-1' };
const APPROVER = { email: 'approver@e2e.example.com', password: 'approver-password-1' };
const FLOW = 'order-to-cash';
const STEP = 'erp.create-sales-order';
const MESSAGE = `msg-e2e-${Date.now()}`;
const ORDER = `SO-E2E-${Date.now() % 100000}`;
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

/**
 * Sign in through the form once the page is hydrated: filling the email before hydration can be
 * undone by it (seen with the shared fixture's signIn on this machine).
 */
async function signInHydrated(page: import('@playwright/test').Page, who: { email: string; password: string }) {
	await page.goto('/login');
	await page.waitForLoadState('networkidle');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await expect(page.locator('input[name="email"]')).toHaveValue(who.email);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

test('operator requests, approver approves, the middleware replays once and the exception resolves', async ({ browser, syncscope }, testInfo) => {
	test.setTimeout(120_000);
	const shot = (page: import('@playwright/test').Page, name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

	// the middleware's webhook receiver: verify the signature, process each Idempotency-Key once,
	// then report success for the same flow, step and message
	let secret = '';
	const received: { key: string; valid: boolean; body: { data: Record<string, string> } }[] = [];
	const processed = new Set<string>();
	const receiver = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			const body = Buffer.concat(chunks).toString();
			const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
			const valid = verify(secret, headers, body);
			received.push({ key: headers['idempotency-key'], valid, body: JSON.parse(body) });
			if (!valid) return void res.writeHead(401).end();
			if (!processed.has(headers['idempotency-key'])) {
				processed.add(headers['idempotency-key']);
				await sendSpan(syncscope.otlpHttpURL, 'mule-o2c', { name: STEP, attrs: { ...attrs, 'integration.outcome': 'success' } });
			}
			res.writeHead(200).end();
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	const hostPort = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;

	try {
		// admin: users, allow-list (the receiver is on loopback) and the action endpoint
		const adminCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const admin = await adminCtx.newPage();
		await signInHydrated(admin, ADMIN);
		for (const [u, role] of [[OPERATOR, 'operator'], [APPROVER, 'approver']] as const) {
			const r = await admin.request.post('/api/v1/users', { data: { ...u, role }, headers: { origin: syncscope.baseURL } });
			expect(r.status(), await r.text()).toBeLessThan(300);
		}
		await admin.goto('/admin/endpoints');
		await admin.locator('input[name="url"]').fill(`http://${hostPort}/syncscope`);
		await admin.locator('input[name="name"]').fill('refused before allow-listing');
		await admin.getByRole('button', { name: 'Add endpoint' }).click();
		await expect(admin.getByRole('alert')).toContainText('loopback/private/link-local');
		await admin.getByRole('textbox', { name: 'host:port' }).fill(hostPort);
		await admin.getByRole('button', { name: 'Allow' }).click();
		await expect(admin.getByText(hostPort, { exact: true })).toBeVisible();
		await admin.locator('input[name="name"]').fill('MuleSoft order API');
		await admin.locator('input[name="url"]').fill(`http://${hostPort}/syncscope`);
		await admin.getByRole('button', { name: 'Add endpoint' }).click();
		secret = (await admin.getByTestId('secret').locator('code').textContent())!.trim();
		expect(secret).toMatch(/^whsec_/);
		await shot(admin, '1-admin-endpoint');

		// the middleware fails to create the sales order and dead-letters it
		const traceId = await sendSpan(syncscope.otlpHttpURL, 'mule-o2c', { name: STEP, attrs: { ...attrs, 'integration.outcome': 'failed', 'integration.error.class': 'validation', 'integration.error.code': 'SHIPTO_MISSING' }, error: 'Ship-to address missing', at: Date.now() - 60_000 });
		await sendLog(syncscope.otlpHttpURL, 'mule-o2c', { eventName: 'integration.dead_letter', body: JSON.stringify({ orderId: ORDER, lines: [{ sku: 'PUMP-220', qty: 4 }] }), attrs: { ...attrs, 'integration.error.class': 'validation', 'integration.error.code': 'SHIPTO_MISSING' }, traceId, at: Date.now() - 59_000 });
		const id = exceptionId(FLOW, MESSAGE);

		// operator: finds it in the queue and requests the replay
		const opCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const op = await opCtx.newPage();
		await signInHydrated(op, OPERATOR);
		await expect(async () => {
			await op.goto(`/exceptions?key=${ORDER}`);
			await expect(op.getByTestId('exception-row')).toHaveCount(1, { timeout: 1000 });
		}).toPass({ timeout: 20_000 });
		await expect(op.getByTestId('exception-row')).toContainText('SHIPTO_MISSING');
		await shot(op, '2-operator-queue');
		await op.getByTestId('exception-row').getByRole('link', { name: FLOW }).click();
		const opPage = new ExceptionPage(op);
		await expect(opPage.state()).toHaveText('open');
		await expect(op.getByTestId('payload')).toContainText('PUMP-220');
		await expect(op.getByTestId('lineage-summary')).toContainText('1 trace');
		await expect(opPage.button('approve_replay')).toHaveCount(0);
		await opPage.act('request_replay', 'Ship-to fixed in ERP customer master', 'replay requested');
		await expect(op.getByTestId('pending')).toContainText('A different person must approve it');
		await shot(op, '3-operator-requested');
		expect(received).toHaveLength(0);

		// approver: approves; the page follows the delivery until the success telemetry resolves it
		const apCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const ap = await apCtx.newPage();
		await signInHydrated(ap, APPROVER);
		const apPage = new ExceptionPage(ap);
		await apPage.open(id);
		await expect(ap.getByTestId('pending')).toContainText(OPERATOR.email);
		await shot(ap, '4-approver-pending');
		await apPage.panel().locator('textarea[name="comment"]').fill('Checked with sales ops');
		await apPage.button('approve_replay').click();
		await expect(apPage.state()).toHaveText('resolved', { timeout: 30_000 });
		await expect(apPage.history()).toContainText('resolved by successful delivery');
		await expect(ap.getByTestId('deliveries')).toContainText('delivered');
		await shot(ap, '5-approver-resolved');

		expect(received).toHaveLength(1);
		expect(received[0].valid).toBe(true);
		expect(received[0].body.data).toMatchObject({ action: 'replay', messageId: MESSAGE, requestedBy: OPERATOR.email, approvedBy: APPROVER.email });

		// the audit trail is intact
		const audit = await admin.request.get(`/api/v1/exceptions/evidence/${ORDER}`);
		const pack = await audit.json();
		expect(pack.chain.ok).toBe(true);
		expect(pack.audit.map((a: { Action: string }) => a.Action)).toEqual(['request_replay', 'approve_replay', 'delivered']);
		await Promise.all([adminCtx.close(), opCtx.close(), apCtx.close()]);
	} finally {
		receiver.closeAllConnections();
		await new Promise<void>((r) => receiver.close(() => r()));
	}
});
