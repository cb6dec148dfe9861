/**
 * The README's promise, end to end: `syncscope demo` brings up the console with history; an operator
 * finds an order that never reached the ERP and requests a replay; an approver (a second person)
 * approves it; the demo middleware receives the signed webhook, re-processes the order, and the
 * exception resolves by itself while the order's lineage grows.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { startDemo, type DemoUserCreds, type RunningDemo } from './fixtures/demo';

const test = base.extend<{}, { demo: RunningDemo }>({
	demo: [
		async ({}, use, workerInfo) => {
			const demo = await startDemo({ portBase: Number(process.env.DEMO_E2E_PORT_BASE ?? 16400) + workerInfo.workerIndex * 10 });
			try {
				await use(demo);
			} finally {
				await demo.stop();
			}
		},
		{ scope: 'worker', timeout: 180_000 }
	],
	baseURL: async ({ demo }, use) => use(demo.baseURL)
});

async function signIn(page: Page, who: DemoUserCreds): Promise<void> {
	await page.goto('/login');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

test('find an order, request a replay, approve it as a second person, watch it resolve', async ({ demo, browser, baseURL }) => {
	test.setTimeout(180_000);
	const operator = await browser.newContext({ baseURL });
	const ops = await operator.newPage();
	await signIn(ops, demo.user('operator'));

	// the order's lineage: it stopped before (or at) the ERP
	await ops.goto(`/lineage/${demo.orderId}`);
	await expect(ops.getByText(demo.orderId).first()).toBeVisible();
	await expect(ops.getByText('crm.submit-order').first()).toBeVisible();
	await ops.screenshot({ path: 'test-results/demo-lineage-before.png', fullPage: true });

	// its exception, found by business key
	await ops.goto(`/exceptions?key=${demo.orderId}`);
	const row = ops.getByTestId('exception-row').first();
	await expect(row).toBeVisible();
	await row.getByRole('link').first().click();
	await expect(ops.getByTestId('state')).toHaveText('open');
	const exceptionUrl = ops.url();
	await ops.locator('[data-testid="action-panel"] button[value="request_replay"]').click();
	await expect(ops.getByTestId('state')).toHaveText('replay requested');
	// the requester cannot approve their own replay
	await expect(ops.locator('[data-testid="action-panel"] button[value="approve_replay"]')).toHaveCount(0);

	const approver = await browser.newContext({ baseURL });
	const lead = await approver.newPage();
	await signIn(lead, demo.user('approver'));
	await lead.goto(exceptionUrl);
	await lead.locator('[data-testid="action-panel"] button[value="approve_replay"]').click();

	// delivered → replayed → resolved once the middleware's success telemetry arrives
	await expect(async () => {
		await lead.reload();
		await expect(lead.getByTestId('state')).toHaveText('resolved', { timeout: 1_000 });
	}).toPass({ timeout: 60_000 });
	await lead.screenshot({ path: 'test-results/demo-exception-resolved.png', fullPage: true });
	expect(demo.output()).toContain(`[demo middleware] replay order-to-cash`);

	// the lineage grew: the order reached the ERP and the CRM got its status
	await lead.goto(`/lineage/${demo.orderId}`);
	await expect(lead.getByText('erp.post-order').first()).toBeVisible();
	await expect(lead.getByText('crm.update-status').first()).toBeVisible();
	await lead.screenshot({ path: 'test-results/demo-lineage-after.png', fullPage: true });

	await operator.close();
	await approver.close();
});

test('the executive sees history, not an empty console', async ({ demo, page }) => {
	await signIn(page, demo.user('viewer'));
	await page.goto(`/lineage/${demo.orderId}`);
	await expect(page.getByText(demo.orderId).first()).toBeVisible();
	await page.screenshot({ path: 'test-results/demo-viewer-lineage.png', fullPage: true });
});
