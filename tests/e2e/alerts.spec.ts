/**
 * Alerts in the console, end to end on a Syncscope of its own (alert rounds every 2 s, a webhook
 * receiver on 127.0.0.1 allow-listed): an admin adds channels and edits a rule (a bad edit lists its
 * problems), dead letters make the rule fire, the signed notification reaches the receiver, an
 * operator acknowledges and silences the alert, and a viewer sees it read-only. Screenshots are kept
 * in the test output.
 */
import { createServer, type Server } from 'node:http';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { ADMIN, startSyncscope, type Syncscope } from './fixtures/server';
import { sendLog } from './otlp-json';
import { verify } from '../../src/lib/server/webhooks/signing';

interface Received {
	path: string;
	headers: Record<string, string>;
	body: string;
}

const test = base.extend<{}, { env: { syncscope: Syncscope; received: Received[]; receiver: string } }>({
	env: [
		async ({}, use, workerInfo) => {
			const received: Received[] = [];
			const server: Server = createServer((req, res) => {
				let body = '';
				req.on('data', (c) => (body += c));
				req.on('end', () => {
					received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body });
					res.writeHead(204).end();
				});
			});
			await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
			const port = (server.address() as { port: number }).port;
			const portBase = Number(process.env.E2E_PORT_BASE ?? 18600) + workerInfo.workerIndex * 10;
			const syncscope = await startSyncscope({ portBase, env: { SYNCSCOPE_ALERT_INTERVAL_SECONDS: '2', SYNCSCOPE_ACTION_ALLOWLIST: `127.0.0.1:${port}` } });
			try {
				await use({ syncscope, received, receiver: `http://127.0.0.1:${port}` });
			} finally {
				await syncscope.stop();
				server.close();
			}
		},
		{ scope: 'worker', timeout: 120_000 }
	],
	baseURL: async ({ env }, use) => use(env.syncscope.baseURL)
});

const OPERATOR = { email: 'operator@e2e.example.com', password: 'e2e-operator-password-1' };
const VIEWER = { email: 'viewer@e2e.example.com', password: 'e2e-viewer-password-1' };
const FLOW = 'order-to-cash';
const RULE = 'breach:deadLettersPerHour';

async function signIn(page: Page, who: { email: string; password: string }) {
	await page.context().clearCookies();
	await page.goto('/login');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

async function shot(page: Page, info: TestInfo, name: string) {
	const path = info.outputPath(`${name}.png`);
	await page.screenshot({ path, fullPage: true });
	await info.attach(name, { path, contentType: 'image/png' });
}

test.describe.configure({ mode: 'serial' });

test.describe('alerts in the console', () => {
	let secret = '';

	test.beforeAll(async ({ env, playwright }) => {
		const api = await playwright.request.newContext({ baseURL: env.syncscope.baseURL, extraHTTPHeaders: { origin: env.syncscope.baseURL } });
		expect((await api.post('/api/v1/session', { data: ADMIN })).ok()).toBe(true);
		for (const [u, role] of [[OPERATOR, 'operator'], [VIEWER, 'viewer']] as const) expect((await api.post('/api/v1/users', { data: { ...u, role } })).status()).toBe(201);
		await api.dispose();
	});

	test('an admin configures channels and a rule', async ({ page, env }, info) => {
		await signIn(page, ADMIN);
		await page.goto('/alerts/channels');
		await expect(page.getByRole('heading', { name: 'Notification channels' })).toBeVisible();
		await expect(page.locator('.empty')).toContainText('No channel yet');

		// a bad channel lists every problem
		await page.getByRole('button', { name: 'Add channel' }).click();
		const issues = page.locator('ul.issues');
		await expect(issues).toContainText('name: is required');
		await expect(issues).toContainText('url: must be a URL');

		await page.getByLabel('Name').fill('Pager bridge');
		await page.getByLabel('Generic webhook (signed)').check();
		await page.getByLabel('Webhook URL').fill(`${env.receiver}/bridge`);
		await page.getByRole('button', { name: 'Add channel' }).click();
		await expect(page.getByTestId('created')).toContainText('Pager bridge');
		secret = (await page.getByTestId('secret').textContent())!.trim();
		expect(secret).toMatch(/^whsec_/);
		await shot(page, info, 'alerts-channel-created');

		await page.getByLabel('Name').fill('Slack #integration');
		await page.getByLabel('Slack-compatible').check();
		await page.getByLabel('Webhook URL').fill(`${env.receiver}/slack/T0/B0/secrettoken`);
		await page.getByRole('button', { name: 'Add channel' }).click();
		await expect(page.locator('tr[data-channel="Slack #integration"]')).toBeVisible();
		await expect(page.locator('table[data-testid="channels"]')).not.toContainText('secrettoken');

		await page.locator('tr[data-channel="Slack #integration"]').getByRole('button', { name: 'Send test' }).click();
		await expect(page.getByTestId('test-result')).toContainText('Test notice to Slack #integration: delivered (HTTP 204)');
		await expect.poll(() => env.received.filter((r) => r.path === '/slack/T0/B0/secrettoken').length).toBe(1);
		expect(JSON.parse(env.received[0].body).text).toMatch(/Test notification from Syncscope/);
		await shot(page, info, 'alerts-channels');

		// rules: a bad threshold is explained; then dead-letter growth off and the breach routed to the bridge only
		await page.goto(`/alerts/rules?flow=${FLOW}`);
		const growth = page.locator(`tr[data-alert="${FLOW}/dlq-growth"]`);
		await growth.getByText('Edit rule').click();
		await growth.getByLabel(/Threshold/).fill('-3');
		await growth.getByRole('button', { name: 'Save rule' }).click();
		await expect(growth.locator('ul.issues')).toContainText('threshold: must be at least 0 and at most');
		await shot(page, info, 'alerts-rule-invalid');
		await growth.getByLabel('Rule on').uncheck();
		await growth.getByLabel(/Threshold/).fill('');
		await growth.getByRole('button', { name: 'Save rule' }).click();
		await expect(page.getByRole('status')).toContainText(`Saved ${FLOW}/dlq-growth`);
		await expect(growth.locator('.state')).toContainText('off');

		const breach = page.locator(`tr[data-alert="${FLOW}/${RULE}"]`);
		await breach.getByText('Edit rule').click();
		await expect(breach).toContainText('set in the flow catalogue');
		await breach.getByLabel(/Pager bridge/).check();
		await breach.getByRole('button', { name: 'Save rule' }).click();
		await expect(breach).toContainText('Pager bridge');
		await expect(breach).toContainText(`Edited by ${ADMIN.email}`);
		await shot(page, info, 'alerts-rules');
	});

	test('the rule fires and the signed notification reaches the bridge only', async ({ page, env }, info) => {
		const before = env.received.length;
		for (let i = 0; i < 7; i++) await sendLog(env.syncscope.otlpHttpURL, 'mule-orders', { eventName: 'integration.dead_letter', body: `{"order":"SO-${i}"}`, attrs: { 'integration.flow': FLOW, 'integration.step': 'erp.create-sales-order', 'integration.message_id': `e2e-alert-${i}` } });
		await expect.poll(() => env.received.slice(before).filter((r) => r.path === '/bridge').length, { timeout: 30_000 }).toBe(1);
		const hook = env.received.slice(before).find((r) => r.path === '/bridge')!;
		expect(verify(secret, hook.headers, hook.body, 300)).toBe(true);
		expect(JSON.parse(hook.body)).toMatchObject({ type: 'syncscope.alert.firing', data: { flow: FLOW, rule: RULE } });
		expect(env.received.slice(before).filter((r) => r.path.startsWith('/slack'))).toHaveLength(0);

		await signIn(page, VIEWER);
		await page.goto('/alerts');
		const card = page.locator(`li[data-alert="${FLOW}/${RULE}"]`);
		await expect(card).toContainText('Dead letters per hour above objective');
		await expect(card.getByRole('button')).toHaveCount(0);
		await expect(page.getByText('operators and admins acknowledge and silence them')).toBeVisible();
		await expect(page.locator('table[data-testid="deliveries"]')).toContainText('Pager bridge');
		await shot(page, info, 'alerts-viewer');
	});

	test('an operator acknowledges and silences the alert', async ({ page }, info) => {
		await signIn(page, OPERATOR);
		await page.goto('/alerts');
		const card = page.locator(`li[data-alert="${FLOW}/${RULE}"]`);
		await card.getByLabel('Comment').fill('ERP posting queue stuck, on it');
		await card.getByRole('button', { name: 'Acknowledge' }).click();
		await expect(page.getByRole('status').first()).toContainText(`Acknowledged: ${FLOW}/${RULE}`);
		await expect(card.getByTestId('acked')).toContainText(`Acknowledged by ${OPERATOR.email}`);
		await expect(card.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);

		await card.getByLabel('Silence for').selectOption({ label: '4 hours' });
		await card.getByRole('button', { name: 'Silence' }).click();
		await expect(card.getByTestId('silenced')).toContainText('Silenced until');
		await expect(card.getByRole('button', { name: 'End silence' })).toBeVisible();
		const activity = page.locator('table[data-testid="activity"]');
		await expect(activity).toContainText(`${OPERATOR.email} (operator)`);
		await expect(activity).toContainText('acknowledged');
		await expect(activity).toContainText('silenced');
		await expect(activity).toContainText('ERP posting queue stuck, on it');
		await expect(activity).toContainText(`${ADMIN.email} (admin)`);
		await shot(page, info, 'alerts-operator');

		// operators do not edit rules or channels
		await page.goto('/alerts/rules');
		await expect(page.getByText('Edit rule')).toHaveCount(0);
		expect((await page.goto('/alerts/channels'))!.status()).toBe(403);
	});
});
