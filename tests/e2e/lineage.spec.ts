/**
 * The first thing a support engineer does: sign in, type an order number, see where it went and
 * what is missing, open a span, sign out. Telemetry goes through the real OTel SDK to the real
 * collector of a freshly started `syncscope start`.
 */
import { test, expect, ADMIN } from './fixtures';
import { seedOrderToCash, type SeededOrder } from './fixtures/seed';
import { LineagePage, Shell } from './fixtures/pages';
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
	// an admin starts on the overview (the start page is by role): open lineage from the nav
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lineage' }).click();

	const lineage = new LineagePage(page);
	await lineage.search(order.orderId);
	await expect(page).toHaveURL(new RegExp(`/lineage/${order.orderId}$`));

	// hops: crm → middleware → erp → wms → supplier:acme, and the supplier's answer back
	for (const [from, to] of [
		['crm', 'middleware'],
		['middleware', 'erp'],
		['erp', 'wms'],
		['middleware', 'supplier:acme'],
		['supplier:acme', 'middleware']
	]) {
		await expect(lineage.hop(from, to)).toHaveCount(1);
	}
	await expect(lineage.hop('middleware', 'erp')).toHaveAttribute('data-health', 'fail');
	await expect(lineage.hop('crm', 'middleware')).toHaveAttribute('data-health', 'ok');
	await expect(page.getByTestId('hop-map')).toBeVisible();

	// the expected path: the failed post, and the status update that never happened
	for (const id of order.happened) await expect(lineage.step(id)).toHaveAttribute('data-state', 'done');
	await expect(lineage.step('erp.post-order')).toHaveAttribute('data-state', 'failed');
	await expect(lineage.step('crm.update-status')).toHaveAttribute('data-state', 'missing');
	await expect(lineage.step('crm.update-status')).toContainText('overdue');

	// both traces, the later one linked back to the PO it acknowledges
	await expect(page.getByTestId('trace-links')).toContainText('links to T1');
	await expect(page.getByTestId('lineage-timeline').locator('rect.bar').first()).toBeVisible();
	await shot(page, info, '02-lineage');

	// open the failed ERP post: its attributes and exception
	await lineage.open('SalesOrder.Post');
	await expect(page).toHaveURL(/[?&]span=[0-9a-f]{32}(%3A|:)[0-9a-f]{16}/);
	await expect(lineage.detail.getByRole('heading', { name: 'SalesOrder.Post' })).toBeVisible();
	await expect(lineage.detail.getByTestId('span-attributes')).toContainText('CREDIT_HOLD');
	await expect(lineage.detail).toContainText('BusinessRuleException');
	await shot(page, info, '03-span-detail');

	// the URL holds the state: a reload shows the same span
	await page.reload();
	await expect(page.getByTestId('detail-panel').getByRole('heading', { name: 'SalesOrder.Post' })).toBeVisible();

	// the dead letter is an event in the list
	await lineage.open('integration.dead_letter');
	await expect(lineage.detail).toContainText(order.orderId);

	await new Shell(page).signOut();
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

test('an admin adds a user and creates an API token that is shown once', async ({ page, signIn, syncscope }, info) => {
	await signIn(page);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
	await expect(page.getByTestId('sign-in-log')).toContainText(ADMIN.email);

	await page.getByRole('link', { name: 'Users' }).click();
	const email = `operator-${Date.now()}@e2e.example.com`;
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Initial password').fill('operator-password-1');
	await page.getByLabel('Role', { exact: true }).selectOption('operator');
	await page.getByRole('button', { name: 'Add user' }).click();
	await expect(page.getByTestId('users')).toContainText(email);
	await shot(page, info, '05-admin-users');

	await page.getByRole('link', { name: 'API tokens' }).click();
	await page.getByLabel('Name').fill('nightly export');
	await page.getByLabel('Acts as role').selectOption('viewer');
	await page.getByRole('button', { name: 'Create token' }).click();
	const token = (await page.getByTestId('new-token').locator('pre').textContent())!.trim();
	expect(token).toMatch(/^sst_/);
	await shot(page, info, '06-admin-token');
	const r = await fetch(`${syncscope.baseURL}/api/v1/lineage?key=${order.orderId}`, { headers: { authorization: `Bearer ${token}` } });
	expect(r.status).toBe(200);
	expect((await r.json()).traces).toHaveLength(2);

	// shown once: a reload shows the list, not the token
	await page.reload();
	await expect(page.getByTestId('new-token')).toHaveCount(0);
	await page.getByTestId('tokens').getByRole('row', { name: /nightly export/ }).getByRole('button', { name: 'Revoke' }).click();
	await expect(page.getByTestId('tokens').getByRole('row', { name: /nightly export/ })).toContainText('revoked');
	expect((await fetch(`${syncscope.baseURL}/api/v1/lineage?key=x`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);

	// an ingest token for a middleware source, while Syncscope runs
	await page.getByRole('link', { name: 'Ingest tokens' }).click();
	await page.getByLabel('Middleware source').fill('mulesoft-prod');
	await page.getByRole('button', { name: 'Create token' }).click();
	await expect(page.getByTestId('new-ingest-token').locator('pre')).toHaveText(/^sst_/);
	await expect(page.getByTestId('ingest-sources').getByRole('row', { name: /mulesoft-prod/ })).toContainText('1');
	await shot(page, info, '07-admin-ingest-token');
	await page.getByTestId('ingest-sources').getByRole('row', { name: /mulesoft-prod/ }).getByRole('button', { name: 'Revoke all' }).click();
	await expect(page.getByText('Revoked 1 token of mulesoft-prod')).toBeVisible();
});
