/**
 * Bulk retry from the queue: the dry run says how many webhooks will go out and which messages
 * already succeeded (skipped as duplicates), then the job runs with progress.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, ADMIN } from './fixtures';
import { sendLog, sendSpan } from './otlp-json';

const OPERATOR = { email: 'bulk-operator@e2e.example.com', password: 'bulk-operator-password-1' };

async function signInHydrated(page: import('@playwright/test').Page, who: { email: string; password: string }) {
	await page.goto('/login');
	await page.waitForLoadState('networkidle');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await expect(page.locator('input[name="email"]')).toHaveValue(who.email);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

test('bulk retry: dry run with the duplicate guard, then progress', async ({ browser, syncscope }, testInfo) => {
	test.setTimeout(120_000);
	const received: string[] = [];
	const receiver = http.createServer((req, res) => {
		received.push(String(req.headers['idempotency-key']));
		req.resume();
		req.on('end', () => res.writeHead(204).end());
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	const hostPort = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
	try {
		// an admin sets up the endpoint through the API (the replay spec does it in the browser)
		const adminCtx = await browser.newContext({ baseURL: syncscope.baseURL });
		const api = adminCtx.request;
		const headers = { origin: syncscope.baseURL };
		expect((await api.post('/api/v1/session', { data: ADMIN, headers })).ok()).toBe(true);
		expect((await api.post('/api/v1/users', { data: { ...OPERATOR, role: 'operator' }, headers })).ok()).toBe(true);
		expect((await api.post('/api/v1/action-endpoints/allowlist', { data: { hostPort }, headers })).ok()).toBe(true);
		const ep = await api.post('/api/v1/action-endpoints', { data: { name: 'bulk receiver', url: `http://${hostPort}/hook` }, headers });
		expect(ep.status(), await ep.text()).toBe(201);

		// three inventory updates fail with the same code; the first is later delivered by the middleware itself
		const code = `LOCK-${Date.now()}`;
		for (const n of [1, 2, 3]) {
			const attrs = { 'integration.flow': 'inventory-sync', 'integration.step': 'erp.update-onhand', 'integration.message_id': `${code}-${n}`, 'integration.correlation_id': `ADJ-${code}-${n}`, 'integration.error.class': 'transport', 'integration.error.code': code };
			const traceId = await sendSpan(syncscope.otlpHttpURL, 'boomi-inv', { name: 'erp.update-onhand', attrs: { ...attrs, 'integration.outcome': 'failed' }, error: 'ERP table locked', at: Date.now() - 120_000 });
			await sendLog(syncscope.otlpHttpURL, 'boomi-inv', { eventName: 'integration.dead_letter', body: `{"adjustment":${n}}`, attrs, traceId, at: Date.now() - 119_000 });
			if (n === 1) await sendSpan(syncscope.otlpHttpURL, 'boomi-inv', { name: 'erp.update-onhand', attrs: { ...attrs, 'integration.outcome': 'success', 'integration.error.class': '', 'integration.error.code': '' }, at: Date.now() - 60_000 });
		}

		const ctx = await browser.newContext({ baseURL: syncscope.baseURL });
		const page = await ctx.newPage();
		await signInHydrated(page, OPERATOR);
		await expect(async () => {
			await page.goto(`/exceptions?errorCode=${code}&view=all`);
			await expect(page.getByTestId('exception-row')).toHaveCount(3, { timeout: 1000 });
		}).toPass({ timeout: 20_000 });
		await page.getByLabel('select all').check();
		const bulk = page.getByTestId('bulk');
		await expect(bulk).toContainText('3 selected');
		await bulk.getByRole('button', { name: 'Dry run' }).click();
		const plan = page.getByTestId('dry-run');
		await expect(plan).toContainText('2 of 3 will be retried; 2 webhooks will be sent');
		await expect(plan).toContainText('already delivered successfully');
		await page.screenshot({ path: testInfo.outputPath('bulk-dry-run.png'), fullPage: true });
		await plan.getByRole('button', { name: 'Apply to 2' }).click();
		await expect(page.getByTestId('bulk-progress')).toContainText('2 / 2 done, 2 ok', { timeout: 20_000 });
		await expect(page.getByTestId('bulk-progress')).toContainText('finished');
		await expect.poll(() => received.length, { timeout: 20_000 }).toBe(2);
		await page.screenshot({ path: testInfo.outputPath('bulk-done.png'), fullPage: true });
		await expect(async () => {
			await page.goto(`/exceptions?errorCode=${code}&state=retrying`);
			await expect(page.getByTestId('exception-row')).toHaveCount(2, { timeout: 1000 });
		}).toPass({ timeout: 20_000 });
		await Promise.all([ctx.close(), adminCtx.close()]);
	} finally {
		receiver.closeAllConnections();
		await new Promise<void>((r) => receiver.close(() => r()));
	}
});
