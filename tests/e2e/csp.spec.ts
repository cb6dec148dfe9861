/**
 * The console works under its Content-Security-Policy (issue 14, finding 18): every page that draws
 * ECharts charts or uses inline styles renders in Chromium without a single CSP violation, the app
 * starts (its inline script carries the nonce), and the layout's sign-out form signs out.
 */
import { expect, type Page } from '@playwright/test';
import { ADMIN } from './fixtures/server';
import { testOnOwnServer } from './fixtures';
import { seedOrderToCash, type SeededOrder } from './fixtures/seed';
import { Shell } from './fixtures/pages';

// a server of its own: the telemetry seeded here must not change what other specs see on theirs
const test = testOnOwnServer('CSP_E2E_PORT_BASE', 16600);

async function signIn(page: Page): Promise<void> {
	await page.goto('/login');
	await page.locator('input[name="email"]').fill(ADMIN.email);
	await page.locator('input[name="password"]').fill(ADMIN.password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

let order: SeededOrder;
test.beforeAll(async ({ syncscope, playwright }) => {
	const api = await playwright.request.newContext({ baseURL: syncscope.baseURL, extraHTTPHeaders: { origin: syncscope.baseURL } });
	expect((await api.post('/api/v1/session', { data: ADMIN })).status()).toBe(200);
	order = await seedOrderToCash(syncscope.otlpHttpURL);
	await expect.poll(async () => (await (await api.get(`/api/v1/lineage?key=${order.orderId}`)).json()).traces?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
	await api.dispose();
});

/** Collect CSP violations the browser reports, from the first byte of every document. */
async function watchCsp(page: Page): Promise<string[]> {
	const seen: string[] = [];
	await page.exposeFunction('__cspViolation', (d: string) => seen.push(d));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) =>
			(window as unknown as { __cspViolation(d: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`)
		);
	});
	page.on('console', (m) => {
		if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) seen.push(m.text());
	});
	return seen;
}

test('pages with charts and inline styles render with no CSP violation; sign-out works', async ({ page }) => {
	const violations = await watchCsp(page);
	await signIn(page);
	await page.goto('/sla?range=24h');
	// the overview's sparklines are inline SVG (sized by a style attribute); the charting library loads on flow pages
	await expect(page.locator('article[data-flow="order-to-cash"] svg.spark')).toHaveCount(1);
	await page.goto('/sla/order-to-cash?range=24h');
	await expect(page.locator('canvas').first()).toBeVisible();
	// a chart tooltip is HTML with inline styles: hover one to render it
	const chart = page.locator('canvas').first();
	const box = (await chart.boundingBox())!;
	await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
	await page.goto(`/lineage/${order.orderId}`);
	await expect(page.getByText(order.orderId).first()).toBeVisible();
	await page.goto('/exceptions');
	await expect(page.getByRole('heading').first()).toBeVisible();
	// client-side navigation runs the app's own scripts (not only server-rendered HTML)
	await new Shell(page).nav('Lineage').click();
	await expect(page).toHaveURL(/\/lineage/);
	expect(violations).toEqual([]);
	await new Shell(page).signOut();
	expect(violations).toEqual([]);
});
