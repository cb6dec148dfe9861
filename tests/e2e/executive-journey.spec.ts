/**
 * The executive's journey on the demo's data: sign in → land on the service-level overview → a
 * flow → drill down to the exceptions behind a number; the same in dark mode and in another time
 * zone; what a viewer sees where the role does not reach (a styled 403); support lands on the queue.
 * Full-page screenshots of every step are attached (light and dark) for a person to look at.
 */
import type { Page, TestInfo } from '@playwright/test';
import { demoTest as test, expect } from './fixtures/demo-test';

async function shot(page: Page, info: TestInfo, name: string) {
	await page.waitForTimeout(400); // charts paint after their lazy load
	const path = info.outputPath(`${name}.png`);
	await page.screenshot({ path, fullPage: true });
	await info.attach(name, { path, contentType: 'image/png' });
}

/** Scroll through the page so every lazily loaded chart draws, then back to the top. */
async function revealCharts(page: Page) {
	await page.evaluate(async () => {
		for (let y = 0; y < document.body.scrollHeight; y += 600) {
			window.scrollTo(0, y);
			await new Promise((r) => setTimeout(r, 120));
		}
		window.scrollTo(0, 0);
	});
}

test.describe('executive journey', () => {
	test('overview → flow → exceptions, in light and dark', async ({ page, signInAs }, info) => {
		test.setTimeout(120_000);
		await page.setViewportSize({ width: 1440, height: 900 });
		await signInAs(page, 'viewer');
		// an executive lands on the overview
		await expect(page).toHaveURL(/\/sla$/);
		await expect(page.getByRole('heading', { name: 'Service levels' })).toBeVisible();
		await expect(page.getByTestId('as-of').first()).toContainText('figures as of');

		const tiles = page.locator('article.tile');
		await expect(tiles.first()).toBeVisible();
		// right after the demo's backfill the background fold may still be catching up: wait for its figures
		await expect
			.poll(async () => {
				await page.reload();
				return page.locator('article.tile .headline').count();
			}, { timeout: 90_000, intervals: [3_000] })
			.toBeGreaterThan(2);
		// status and money never share a word: no status pill says "at risk"
		for (const pill of await page.locator('[data-rag]').allTextContents()) expect(pill.toLowerCase()).not.toContain('at risk');
		// a breached flow says what is breached
		const red = page.locator('article.tile.red');
		if ((await red.count()) > 0) await expect(red.first().getByTestId('status-why')).toContainText('Breached:');
		// headline percentages stay on one line on every tile
		for (const v of await page.locator('article.tile .big .value').all()) {
			const box = (await v.boundingBox())!;
			const lineHeight = await v.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
			expect(box.height).toBeLessThan(lineHeight * 1.5);
		}
		// money, where shown, is in the currency's minor units ("USD 12,645.70"), never "0 AT RISK"
		for (const m of await page.locator('article.tile .risk .value').allTextContents()) expect(m.trim()).toMatch(/^(none|([A-Z]{3} [\d,.]+(\.\d{2}|[KMB])?( \+ )?)+)$/);
		await revealCharts(page);
		await shot(page, info, 'overview-light');

		// the 7-day overview: same tiles, coarser buckets, still no wrapping
		await page.goto('/sla?range=7d');
		await expect(tiles.first()).toBeVisible();
		await shot(page, info, 'overview-7d-light');

		// into a flow
		await page.goto('/sla?range=24h');
		await page.locator('article[data-flow="order-to-cash"] h2 a').click();
		await expect(page).toHaveURL(/\/sla\/order-to-cash/);
		await expect(page.getByRole('heading', { name: /Order to cash/ })).toBeVisible();
		await revealCharts(page);
		await expect(page.getByTestId('volume-chart').locator('canvas')).toHaveCount(1, { timeout: 20_000 });
		// the step table counts calls, the breakdown counts transactions: they say so
		await expect(page.locator('#steps th').nth(3)).toHaveText('Failed calls');
		await shot(page, info, 'flow-light');

		// drill down: the failed transactions' exceptions, in the queue, filtered to this flow
		await page.locator('a[data-kpi="Failed transactions"]').click();
		await expect(page).toHaveURL(/\/exceptions\?.*flow=order-to-cash/);
		await shot(page, info, 'queue-from-flow-light');

		// dark mode, chosen in the preferences, kept across pages (cookie)
		await page.goto('/sla?range=24h');
		await page.getByTestId('theme').selectOption('dark');
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
		await page.reload();
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
		const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		expect(bg).toBe('rgb(15, 23, 32)');
		await revealCharts(page);
		await shot(page, info, 'overview-dark');
		await page.goto('/sla/order-to-cash?range=24h');
		await revealCharts(page);
		await shot(page, info, 'flow-dark');
		await page.getByTestId('theme').selectOption('light');
	});

	test('times follow the chosen zone', async ({ browser, demo }, info) => {
		const context = await browser.newContext({ baseURL: demo.baseURL, timezoneId: 'America/New_York' });
		const page = await context.newPage();
		const who = demo.user('viewer');
		await page.goto('/login');
		await page.locator('input[name="email"]').fill(who.email);
		await page.locator('input[name="password"]').fill(who.password);
		await page.locator('button[type="submit"]').click();
		await page.waitForURL(/\/sla/);
		await expect(page.getByTestId('as-of').first()).toContainText('UTC');
		await page.getByTestId('time-zone').selectOption('America/New_York');
		await page.waitForLoadState('load');
		await expect(page.getByTestId('as-of').first()).toContainText(/ E[SD]T/);
		await expect(page.locator('.sub').first()).toContainText(/ E[SD]T/);
		await shot(page, info, 'overview-new-york');
		await context.close();
	});

	test('a viewer meets a styled 403; support lands on the queue', async ({ page, signInAs, browser, demo }, info) => {
		await signInAs(page, 'viewer');
		const r = await page.goto('/admin/users');
		expect(r?.status()).toBe(403);
		await expect(page.getByTestId('error-page')).toBeVisible();
		await expect(page.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
		await expect(page.getByRole('link', { name: 'Go to the start page' })).toBeVisible();
		await shot(page, info, 'forbidden-light');
		expect((await page.goto('/no/such/page'))?.status()).toBe(404);
		await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();

		const support = await browser.newContext({ baseURL: demo.baseURL });
		const ops = await support.newPage();
		const who = demo.user('operator');
		await ops.goto('/login');
		await ops.locator('input[name="email"]').fill(who.email);
		await ops.locator('input[name="password"]').fill(who.password);
		await ops.locator('button[type="submit"]').click();
		await expect(ops).toHaveURL(/\/exceptions/);
		await support.close();
	});
});

test.describe('lineage result page', () => {
	test('timeline, hop map and span panel fit the page, light and dark', async ({ page, signInAs, demo }, info) => {
		await page.setViewportSize({ width: 1440, height: 900 });
		await signInAs(page, 'viewer');
		await page.goto(`/lineage/${demo.orderId}`);
		const timeline = page.getByTestId('lineage-timeline');
		await expect(timeline.locator('rect.bar').first()).toBeVisible();
		// the timeline is SVG: the page loads no chart code
		const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /\.js(\?|$)/.test(n)));
		expect(scripts.length).toBeGreaterThan(0);
		for (const src of scripts) expect((await (await page.request.get(src)).text()).includes('_echarts_instance_'), src).toBe(false);
		// hop-map labels stay inside the map
		const map = (await page.getByTestId('hop-map').boundingBox())!;
		for (const label of await page.locator('[data-testid="hop-map"] text').all()) {
			const b = (await label.boundingBox())!;
			expect(b.x).toBeGreaterThanOrEqual(map.x - 1);
			expect(b.x + b.width).toBeLessThanOrEqual(map.x + map.width + 1);
		}
		await shot(page, info, 'lineage-light');
		// select a span from the timeline: the detail panel opens beside the table without hiding it
		await timeline.locator('rect.bar').first().click();
		await expect(page).toHaveURL(/[?&]span=/);
		await expect(page.getByTestId('detail-panel')).toBeVisible();
		// the table's card ends before the panel starts (a wide table scrolls inside its card)
		const card = (await page.getByTestId('span-table').locator('xpath=ancestor::div[contains(@class, "card")][1]').boundingBox())!;
		const panel = (await page.getByTestId('detail-panel').boundingBox())!;
		expect(card.x + card.width <= panel.x + 1 || panel.y >= card.y + card.height - 1).toBe(true);
		await shot(page, info, 'lineage-span-light');
		await page.getByTestId('theme').selectOption('dark');
		await shot(page, info, 'lineage-span-dark');
		await page.getByTestId('theme').selectOption('light');
	});
});
