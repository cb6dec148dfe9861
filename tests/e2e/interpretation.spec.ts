/**
 * The rule workbench in the browser: an admin pastes real Node-RED output (OTLP/JSON from
 * tests/nodered/fixtures), previews it without rules (nothing classified), writes two rules and a
 * key, previews again (coverage rises, order IDs and ERP errors appear with the rule behind each),
 * saves them as version 1, previews the same telemetry sent through the collector as recent spans
 * and re-interprets the stored day with version 1. Viewers and operators are refused.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, ADMIN, testOnOwnServer } from './fixtures';

// a server of its own: it starts empty (the empty state is part of the test), and saving rules and
// re-interpreting rewrite data the other specs' figures depend on
const test = testOnOwnServer('INTERPRETATION_E2E_PORT_BASE', 16800);

const FIXTURE = readFileSync(new URL('../nodered/fixtures/nodered-orders.otlp.json', import.meta.url), 'utf8');
const SERVICE = 'node-red-orders';
const RULES = `keys:
  correlation_id: [{ from: 'attr:http.request.header.x_correlation_id' }]
rules:
  - id: orders-in
    when: { service: node-red*, kind: server, route: /orders }
    set: { flow: order-intake, step: receive-order }
  - id: erp-call
    when: { kind: client, flow: order-intake }
    set: { step: erp.create-order, target: erp }
`;

// an admin's laptop; the layout also holds at Playwright's default 1280 px
test.use({ viewport: { width: 1440, height: 900 } });

const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/screens/interpretation-${name}.png`, fullPage: true });

/** Sign in once the page is hydrated (filling before hydration can be undone by it). */
async function signIn(page: Page, who: { email: string; password: string }) {
	await page.goto('/login');
	await page.waitForLoadState('networkidle');
	await page.locator('input[name="email"]').fill(who.email);
	await page.locator('input[name="password"]').fill(who.password);
	await expect(page.locator('input[name="email"]')).toHaveValue(who.email);
	await page.locator('button[type="submit"]').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** The fixture's spans moved to now (its relative timing kept), for the collector's recent-spans sample. */
function fixtureNow(): string {
	const doc = JSON.parse(FIXTURE);
	const spans = doc.resourceSpans.flatMap((rs: { scopeSpans: { spans: { startTimeUnixNano: string; endTimeUnixNano: string }[] }[] }) => rs.scopeSpans.flatMap((ss) => ss.spans));
	const first = spans.reduce((m: bigint, s: { startTimeUnixNano: string }) => (BigInt(s.startTimeUnixNano) < m ? BigInt(s.startTimeUnixNano) : m), BigInt(spans[0].startTimeUnixNano));
	const shift = BigInt(Date.now() - 60_000) * 1_000_000n - first;
	for (const s of spans) {
		s.startTimeUnixNano = String(BigInt(s.startTimeUnixNano) + shift);
		s.endTimeUnixNano = String(BigInt(s.endTimeUnixNano) + shift);
	}
	return JSON.stringify(doc);
}

test('an admin previews rules on pasted Node-RED telemetry, saves them, previews recent spans and re-interprets them', async ({ page, syncscope }) => {
	test.setTimeout(120_000);
	await signIn(page, ADMIN);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
	await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Interpretation' }).click();
	await expect(page).toHaveURL(/\/admin\/interpretation$/);
	await page.waitForLoadState('networkidle');
	await expect(page.getByTestId('viewing')).toContainText('Viewing version 0');
	await expect(page.getByTestId('packs')).toContainText('Node-RED (node-red-contrib-opentelemetry)');
	// a fresh console has no telemetry: the paste box is open, the recent-spans tab says how to send some
	await expect(page.getByLabel('OTLP JSON', { exact: true })).toBeVisible();
	await page.getByText('Recent spans', { exact: true }).click();
	await expect(page.getByTestId('no-recent-spans')).toContainText('No spans arrived in the last 24 h');
	await shot(page, '1-empty');
	await page.getByTestId('no-recent-spans').getByRole('button', { name: 'Paste OTLP JSON' }).click();

	// a mistake first: what the text is not
	await page.getByLabel('OTLP JSON', { exact: true }).fill('{"spans": []}');
	await page.getByRole('button', { name: 'Preview' }).click();
	await expect(page.getByRole('alert')).toContainText('not an OTLP/JSON export');

	// no rules: the packs and conventions alone classify nothing here
	await page.getByLabel('OTLP JSON', { exact: true }).fill(FIXTURE);
	await page.getByLabel('Rules YAML').fill('');
	await page.getByRole('button', { name: 'Preview' }).click();
	const tile = page.locator(`[data-testid="coverage"][data-service="${SERVICE}"]`);
	await expect(tile.getByTestId('coverage-percent')).toHaveText('0 %');
	await expect(tile).toContainText('0 of 24 spans classified');
	await expect(page.getByTestId('unclassified')).toContainText('POST /orders');
	// no correlation ID either (the shipped file's header key, in use, would find it: shown struck through)
	await expect(page.getByTestId('spans').locator('[data-fact="correlation_id"]')).toHaveCount(0);
	await expect(page.getByTestId('spans').locator('.fact.gone').filter({ hasText: 'SO-NR-1007' }).first()).toBeVisible();
	await shot(page, '2-no-rules');

	// two mistakes, two problems
	await page.getByLabel('Rules YAML').fill('rules:\n  - id: Orders\n    set: { flw: order-intake }\n');
	await page.getByRole('button', { name: 'Preview' }).click();
	const issues = page.getByTestId('rule-issues');
	await expect(issues).toContainText('2 problems in the rules');
	await expect(issues.locator('li')).toHaveCount(2);
	await expect(issues).toContainText('unknown fact "flw"');
	await shot(page, '3-invalid');

	// the rules: coverage rises, the ERP call carries the order and its error
	await page.getByLabel('Rules YAML').fill(RULES);
	await page.getByRole('button', { name: 'Preview' }).click();
	await expect(tile.getByTestId('coverage-percent')).toHaveText('25 %');
	await expect(tile).toContainText('6 of 24 spans classified');
	const hits = page.getByTestId('rule-hits');
	await expect(hits.locator('tr[data-rule="orders-in"]')).toContainText('flow, step');
	await expect(hits.locator('tr[data-rule="erp-call"]')).toContainText('3');
	const failed = page.getByTestId('span-row').filter({ hasText: 'SO-NR-1007' }).filter({ hasText: 'erp.create-order' });
	await expect(failed).toHaveCount(1);
	await expect(failed).toContainText('HTTP 503');
	await expect(failed.locator('[data-fact="step"]')).toContainText('erp-call');
	await expect(page.getByTestId('span-row').filter({ hasText: 'SO-NR-1007' }).filter({ hasText: 'receive-order' })).toContainText('relayed');
	await expect(page.getByTestId('fact-diff')).toContainText('24 of 24 items get different facts');
	await shot(page, '4-rules');

	// save: a comment is required; the new version is listed and in use
	await page.getByLabel('Change comment').fill('Node-RED order intake: route and correlation header');
	await page.getByRole('button', { name: 'Save as version 1' }).click();
	await expect(page.getByTestId('saved')).toContainText('Saved version 1');
	await expect(page.getByTestId('versions')).toContainText('Node-RED order intake: route and correlation header');
	await expect(page.getByTestId('viewing')).toContainText('Viewing version 1');
	await expect(page.getByLabel('Rules YAML')).toHaveValue(RULES);
	await shot(page, '5-saved');

	// the same telemetry through the collector (interpreted by version 1), previewed as recent spans
	const sent = await fetch(`${syncscope.otlpHttpURL}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixtureNow() });
	expect(sent.status, await sent.text()).toBe(200);
	await expect(async () => {
		await page.goto('/admin/interpretation');
		await expect(page.getByLabel('Service', { exact: true })).toContainText(SERVICE, { timeout: 1000 });
	}).toPass({ timeout: 20_000 });
	await page.waitForLoadState('networkidle');
	await page.getByLabel('Service', { exact: true }).selectOption(SERVICE);
	await page.getByRole('button', { name: 'Preview' }).click();
	await expect(tile.getByTestId('coverage-percent')).toHaveText('25 %');
	await expect(page.getByTestId('sample-summary')).toContainText(`24 spans in 3 traces from the newest traces of ${SERVICE}`);
	await expect(page.getByTestId('fact-diff')).toContainText('same facts as under version 1');
	await shot(page, '6-recent');

	// re-interpret what is stored with version 1: a background job whose progress the page follows
	// (reloading the job's status alone: an unsaved edit stays in the editor)
	await page.getByLabel('Rules YAML').fill(`${RULES}# not saved yet\n`);
	const job = page.getByTestId('reinterpret');
	await job.getByLabel('Days back').fill('1');
	await job.getByRole('button', { name: 'Re-interpret the last day' }).click();
	await expect(job.getByTestId('reinterpret-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
	await expect(job.getByTestId('reinterpret-status')).toContainText('rule version 1');
	await expect(page.getByLabel('Rules YAML')).toHaveValue(`${RULES}# not saved yet\n`);
	await shot(page, '7-reinterpreted');
});

test('viewers and operators may not open the workbench', async ({ browser, syncscope }) => {
	const admin = await browser.newContext({ baseURL: syncscope.baseURL });
	const headers = { origin: syncscope.baseURL };
	expect((await admin.request.post('/api/v1/session', { data: ADMIN, headers })).ok()).toBe(true);
	for (const role of ['viewer', 'operator'] as const) {
		const who = { email: `wb-${role}@e2e.example.com`, password: `${role}-password-1` };
		const created = await admin.request.post('/api/v1/users', { data: { ...who, role }, headers });
		expect(created.status(), await created.text()).toBeLessThan(300);
		const ctx = await browser.newContext({ baseURL: syncscope.baseURL });
		const page = await ctx.newPage();
		await signIn(page, who);
		const r = await page.goto('/admin/interpretation');
		expect(r?.status()).toBe(403);
		const post = await ctx.request.post('/admin/interpretation?/save', { form: { document: '', comment: 'not mine', baseVersion: '0' }, headers });
		expect(post.status()).toBe(403);
		if (role === 'operator') await shot(page, '8-operator-403');
		await ctx.close();
	}
	await admin.close();
});
