/**
 * Single sign-on in Chromium: the real console (`syncscope start`) configured with an OpenID
 * provider (oidc-provider on 127.0.0.1, tests/helpers/oidc-provider.ts); sign in through the
 * provider's login page, see the account and the settings as an admin, restrict local passwords,
 * sign out of both. Ports: SSO_E2E_PORT_BASE (default 17000) for the console, +50 for the provider.
 */
import { test, expect } from '@playwright/test';
import { ADMIN, startSyncscope, type Syncscope } from './fixtures/server';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider';

const base = Number(process.env.SSO_E2E_PORT_BASE ?? 17000);
let idp: TestProvider;
let app: Syncscope;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
	test.setTimeout(120_000);
	idp = await startTestProvider(base + 50);
	idp.allow(`http://127.0.0.1:${base}`, 'corp');
	app = await startSyncscope({
		portBase: base,
		env: {
			SYNCSCOPE_OIDC_PROVIDERS: JSON.stringify([
				{
					id: 'corp',
					label: 'Corp IdP',
					issuer: idp.issuer,
					clientId: idp.clientId,
					scopes: ['openid', 'email', 'profile', 'groups'],
					roleMapping: { viewer: ['exec'], operator: ['support'], admin: ['syncscope-admins'] }
				}
			]),
			SYNCSCOPE_OIDC_CORP_CLIENT_SECRET: idp.clientSecret
		}
	});
});

test.afterAll(async () => {
	await app?.stop();
	await idp?.close();
});

test('sign in through the provider login page, manage sign-in as an admin, sign out of both', async ({ page }, info) => {
	const shot = async (name: string) => page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
	idp.accounts.set('ada', { email: 'ada@corp.example', name: 'Ada', groups: ['syncscope-admins', 'staff'] });

	await page.goto(`${app.baseURL}/login`);
	await expect(page.getByRole('link', { name: 'Sign in with Corp IdP' })).toBeVisible();
	await shot('sso-login');

	await page.getByRole('link', { name: 'Sign in with Corp IdP' }).click();
	// the provider's own login page
	await page.waitForURL((u) => u.origin === idp.issuer);
	await page.locator('input[name="login"]').fill('ada');
	await page.locator('input[name="password"]').fill('anything');
	await shot('sso-provider-login');
	await page.locator('button[type="submit"]').click();
	await page.waitForURL(`${app.baseURL}/sla`);

	// an admin straight away (mapped group): the single sign-on settings
	await page.goto(`${app.baseURL}/admin/sso`);
	await expect(page.getByTestId('provider-corp')).toContainText(`${app.baseURL}/auth/oidc/corp/callback`);
	await expect(page.getByText('Break-glass admins now:')).toContainText(ADMIN.email);
	await page.getByLabel(/Break-glass admins only/).check();
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('status')).toContainText('break-glass admins only');
	await shot('sso-admin-settings');

	await page.goto(`${app.baseURL}/admin/users`);
	const row = page.getByTestId('users').getByRole('row', { name: /ada@corp\.example/ });
	await expect(row).toContainText('SSO · Corp IdP');
	await expect(page.getByTestId('users').getByRole('row', { name: new RegExp(ADMIN.email.replace(/\./g, '\\.')) })).toContainText('local password');
	await shot('sso-admin-users');

	await page.getByRole('button', { name: 'Sign out' }).click();
	await page.waitForURL(/\/login\?signedOut=corp/);
	await expect(page.getByText('or with a password: break-glass admins only')).toBeVisible();
	await shot('sso-signed-out');
	await page.getByRole('link', { name: 'Also sign out of Corp IdP' }).click();
	await page.getByRole('button', { name: 'Yes, sign me out' }).click();
	await page.waitForURL(`${app.baseURL}/login`);

	// signed out at the provider too: the next sign-in asks for the login again
	await page.getByRole('link', { name: 'Sign in with Corp IdP' }).click();
	await expect(page.locator('input[name="login"]')).toBeVisible();
});
