/**
 * SLA dashboards end to end: real order-to-cash telemetry through the collector, then the executive
 * overview and the flow page render it (screenshots attached as artifacts), and the KPI API agrees.
 */
import type { Page, TestInfo } from '@playwright/test';
import { test, expect, ADMIN } from './fixtures';
import { seedOrderToCash } from './fixtures/seed';

/** Full-page screenshot kept as a file in the test's output folder and attached to the report. */
async function shot(page: Page, info: TestInfo, name: string) {
	const path = info.outputPath(`${name}.png`);
	await page.screenshot({ path, fullPage: true });
	await info.attach(name, { path, contentType: 'image/png' });
}

type Kpis = { total: number; deadLetters: number; milestones: Record<string, { n: number }> };

test.describe('SLA dashboards', () => {
	// The server is shared by every spec of this worker: other specs may have sent order-to-cash
	// telemetry already, so the seeded orders are checked as a difference from the figures before.
	let before: Kpis;
	test.beforeAll(async ({ syncscope, playwright }) => {
		const api = await playwright.request.newContext({ baseURL: syncscope.baseURL, extraHTTPHeaders: { origin: syncscope.baseURL } });
		expect((await api.post('/api/v1/session', { data: ADMIN })).ok()).toBe(true);
		before = await (await api.get('/api/v1/flows/order-to-cash/kpis')).json();
		await api.dispose();
		// four orders over the last hours (each: one retried ERP call, a dead-lettered posting, an ack
		// 2 h 10 min later): all acks already happened, as the collector refuses events dated beyond its clock skew
		for (const minutes of [320, 270, 220, 170]) await seedOrderToCash(syncscope.otlpHttpURL, { startedMinutesAgo: minutes });
	});

	test('the KPI API counts the seeded transactions', async ({ page, signIn }) => {
		await signIn(page);
		await expect
			.poll(async () => (await (await page.request.get('/api/v1/flows/order-to-cash/kpis')).json()).total, { timeout: 20_000 })
			.toBe(before.total + 4);
		const k = await (await page.request.get('/api/v1/flows/order-to-cash/kpis')).json();
		expect(Object.keys(k).sort()).toEqual(['deadLetters', 'duplicates', 'e2eMs', 'eventDelayMs', 'failed', 'flow', 'milestones', 'replays', 'succeeded', 'successRate', 'total', 'valueAtRisk', 'valueAtRiskByCurrency'].sort());
		expect(k.deadLetters).toBe(before.deadLetters + 4);
		expect(k.milestones['supplier-ack'].n).toBe((before.milestones['supplier-ack']?.n ?? 0) + 4);
		const bad = await page.request.get('/api/v1/flows/order-to-cash/kpis?from=not-a-date');
		expect(bad.status()).toBe(400);
		expect((await page.request.get('/api/v1/flows/no-such-flow/kpis')).status()).toBe(404);
		const flows = await (await page.request.get('/api/v1/flows')).json();
		expect(flows.flows.map((f: { id: string }) => f.id)).toContain('order-to-cash');
	});

	test('executive overview shows a tile per flow with data', async ({ page, signIn }, info) => {
		await signIn(page);
		await page.goto('/sla?range=24h');
		await expect(page.getByRole('heading', { name: 'Service levels' })).toBeVisible();
		const tile = page.locator('article[data-flow="order-to-cash"]');
		await expect(tile).toBeVisible();
		await expect(tile.locator('.headline')).toContainText('success');
		await expect(tile.locator('.facts')).toContainText(`Transactions${before.total + 4}`);
		await expect(tile.locator('svg.spark')).toHaveCount(1);
		// a flow without telemetry shows its empty state, not zeros
		await expect(page.locator('article[data-flow="item-master"]')).toContainText('No transactions in this period');
		await page.waitForTimeout(300); // let ECharts paint before the screenshot
		await shot(page, info, 'sla-overview');
		await page.getByRole('link', { name: '7 days' }).click();
		await expect(page).toHaveURL(/range=7d/);
	});

	test('flow page shows KPIs, charts, breakdowns and links to exceptions and lineage', async ({ page, signIn }, info) => {
		await signIn(page);
		await page.goto('/sla/order-to-cash?range=24h');
		await expect(page.getByRole('heading', { name: /Order to cash/ })).toBeVisible();
		const tx = page.locator('a[data-kpi="Transactions"]');
		await expect(tx).toContainText(String(before.total + 4));
		await expect(page.locator('a[data-kpi="Failed transactions"]')).toHaveAttribute('href', /\/exceptions\?flow=order-to-cash/);
		// volume, problems and milestone charts (ECharts loads lazily, as each chart nears the viewport); every seeded order failed in
		// its first trace, so end-to-end time shows its empty state instead of an empty chart
		for (const chart of await page.locator('.charts .chart').all()) await chart.scrollIntoViewIfNeeded();
		await expect(page.locator('.charts canvas')).toHaveCount(3, { timeout: 20_000 });
		await expect(page.locator('#latency')).toContainText('No transaction completed its first trace');
		await expect(page.locator('#steps')).toContainText('Sales order created in ERP');
		await expect(page.locator('#milestones')).toContainText('supplier-ack');
		const lineage = page.locator('#at-risk a[href^="/lineage/"]');
		await expect(lineage.first()).toBeVisible();
		await page.waitForTimeout(300);
		await shot(page, info, 'sla-flow-page');
	});

	test('alerts page and flow catalogue admin render', async ({ page, signIn }, info) => {
		await signIn(page);
		await page.goto('/alerts');
		await expect(page.getByRole('heading', { name: 'Alerts' })).toBeVisible();
		await shot(page, info, 'alerts');
		await page.goto('/admin/flows');
		await expect(page.getByRole('heading', { name: 'Flow catalogue' })).toBeVisible();
		const doc = page.getByLabel('Catalogue YAML');
		await doc.fill((await doc.inputValue()).replace('successRate: 0.995\n      e2eP95: 2m', 'successRate: 0.99\n      e2eP95: 2m'));
		await page.getByLabel('Change comment').fill('relax order-to-cash success objective');
		await page.getByRole('button', { name: 'Save new version' }).click();
		await expect(page.getByRole('status')).toContainText('Saved version 1 (changed: order-to-cash)');
		await expect(page.locator('.versions')).toContainText('relax order-to-cash success objective');
		await shot(page, info, 'admin-flows');
		const flows = await (await page.request.get('/api/v1/flows')).json();
		expect(flows.version).toBe(1);
		expect(flows.flows.find((f: { id: string }) => f.id === 'order-to-cash').objectives.successRate).toBe(0.99);
	});

	test('a viewer reads dashboards but may not edit the flow catalogue', async ({ page, signIn, syncscope }) => {
		await signIn(page);
		const viewer = { email: 'exec@e2e.example.com', password: 'viewer-password-123' };
		const created = await page.request.post('/api/v1/users', { data: { ...viewer, role: 'viewer' }, headers: { origin: syncscope.baseURL } });
		expect(created.status()).toBeLessThan(300);
		await page.context().clearCookies();
		expect((await page.request.get('/api/v1/flows/order-to-cash/kpis')).status()).toBe(401);
		await signIn(page, viewer);
		expect((await page.goto('/sla'))?.status()).toBe(200);
		expect((await page.request.get('/api/v1/flows')).status()).toBe(200);
		expect((await page.goto('/admin/flows'))?.status()).toBe(403);
	});
});
