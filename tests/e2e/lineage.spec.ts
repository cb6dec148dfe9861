/**
 * The first thing a support engineer does: sign in, type an order number, see where it went and
 * what is missing, open a span, sign out. Telemetry goes through the real OTel SDK to the real
 * collector of a freshly started `syncscope start`.
 */
import { test, expect, ADMIN } from './fixtures';
import { seedOrderToCash, type SeededOrder } from './fixtures/seed';
import type { APIRequestContext, Page, TestInfo } from '@playwright/test';

let order: SeededOrder;
let api: APIRequestContext;

test.beforeAll(async ({ syncscope, playwright }) => {
	// an API client signed in as the admin (the session cookie plus a same-origin Origin header)
	api = await playwright.request.newContext({ baseURL: syncscope.baseURL, extraHTTPHeaders: { origin: syncscope.baseURL } });
	expect((await api.post('/api/v1/session', { data: ADMIN })).status()).toBe(200);
	order = await seedOrderToCash(syncscope.otlpHttpURL);
	// the collector batches inserts: wait until the lineage API sees both traces and both log events
	const request = api;
	await expect
		.poll(
			async () => {
				const r = await request.get(`/api/v1/lineage?key=${order.orderId}`);
				const body = await r.json();
				return `${body.traces?.length} traces, ${body.logs?.length} logs`;
			},
			{ timeout: 30_000 }
		)
		.toBe('2 traces, 2 logs');
});
test.afterAll(async () => api?.dispose());

async function shot(page: Page, info: TestInfo, name: string) {
	await page.evaluate(() => window.scrollTo(0, 0));
	const body = await page.screenshot({ fullPage: true, path: info.outputPath(`${name}.png`) });
	await info.attach(name, { body, contentType: 'image/png' });
}

test('sign in, find an order across systems, open a span, sign out', async ({ page, signIn }, info) => {
	await page.goto('/lineage');
	await expect(page).toHaveURL(/\/login/);
	await shot(page, info, '01-sign-in');
	await signIn(page);
	await expect(page.getByTestId('signed-in-user')).toContainText('admin');

	await page.getByRole('searchbox').fill(order.orderId);
	await page.getByRole('button', { name: 'Search' }).click();
	await expect(page).toHaveURL(new RegExp(`/lineage/${order.orderId}$`));
	await expect(page.getByRole('heading', { name: `Lineage of ${order.orderId}` })).toBeVisible();

	// hops: crm → middleware → erp → wms → supplier:acme, and the supplier's answer back
	const hops = page.getByTestId('hop');
	for (const [from, to] of [
		['crm', 'middleware'],
		['middleware', 'erp'],
		['erp', 'wms'],
		['middleware', 'supplier:acme'],
		['supplier:acme', 'middleware']
	]) {
		await expect(hops.filter({ hasText: `${from} → ${to}` })).toHaveCount(1);
	}
	await expect(hops.filter({ hasText: 'middleware → erp' })).toHaveAttribute('data-health', 'fail');
	await expect(page.getByTestId('hop-map')).toBeVisible();

	// the expected path: the failed post, and the status update that never happened
	const step = (id: string) => page.locator(`[data-testid="expected-step"][data-step="${id}"]`);
	for (const id of order.happened) await expect(step(id)).toHaveAttribute('data-state', 'done');
	await expect(step('erp.post-order')).toHaveAttribute('data-state', 'failed');
	await expect(step('crm.update-status')).toHaveAttribute('data-state', 'missing');
	await expect(step('crm.update-status')).toContainText('overdue');

	// both traces, the later one linked back to the PO it acknowledges
	await expect(page.getByTestId('trace-links')).toContainText('links to T1');
	await expect(page.getByTestId('lineage-timeline').locator('canvas')).toBeVisible();
	await shot(page, info, '02-lineage');

	// open the failed ERP post: its attributes and exception
	await page.getByTestId('span-table').getByRole('button', { name: 'SalesOrder.Post' }).click();
	await expect(page).toHaveURL(/[?&]span=[0-9a-f]{32}%3A[0-9a-f]{16}|[?&]span=[0-9a-f]{32}:[0-9a-f]{16}/);
	const detail = page.getByTestId('detail-panel');
	await expect(detail.getByRole('heading', { name: 'SalesOrder.Post' })).toBeVisible();
	await expect(detail.getByTestId('span-attributes')).toContainText('CREDIT_HOLD');
	await expect(detail).toContainText('BusinessRuleException');
	await shot(page, info, '03-span-detail');

	// the URL holds the state: a reload shows the same span
	await page.reload();
	await expect(page.getByTestId('detail-panel').getByRole('heading', { name: 'SalesOrder.Post' })).toBeVisible();

	// the dead letter is an event in the list
	await page.getByTestId('span-table').getByRole('button', { name: 'integration.dead_letter' }).click();
	await expect(page.getByTestId('detail-panel')).toContainText(order.orderId);

	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(/\/login$/);
	await page.goto(`/lineage/${order.orderId}`);
	await expect(page).toHaveURL(/\/login/);
});

test('an order nobody sent shows a clear empty state', async ({ page, signIn }, info) => {
	await signIn(page);
	await page.goto('/lineage/SO-0000000');
	await expect(page.getByTestId('lineage-empty')).toContainText('No telemetry carries SO-0000000');
	await shot(page, info, '04-empty');
});

test('a viewer sees lineage but not administration', async ({ page, signIn }) => {
	const email = `viewer-${Date.now()}@e2e.example.com`;
	const created = await api.post('/api/v1/users', { data: { email, password: 'viewer-password-1', role: 'viewer' } });
	expect(created.status()).toBe(201);
	await page.context().clearCookies();
	await signIn(page, { email, password: 'viewer-password-1' });
	await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
	const r = await page.goto('/admin/users');
	expect(r?.status()).toBe(403);
});
