/**
 * Single sign-on against a real OpenID Provider (oidc-provider on 127.0.0.1) and the built console:
 * just-in-time accounts, roles from groups at every sign-in, a removed group refused with sessions
 * ended, and each forged or stale answer refused (state, replayed code, nonce, foreign signing key,
 * expired id_token). Needs `npx vite build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, Client, userWithRole, type TestApp } from '../helpers/app';
import { startTestProvider, jwtClaims, type TestProvider } from '../helpers/oidc-provider';
import { Browser, ssoSignIn } from './sso-browser';
import { getUser, listUsers, createUser } from '../../src/lib/server/auth/users';
import { localSignIn } from '../../src/lib/server/auth/local-sign-in';
import { db, sql } from '../../src/lib/server/db';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { failMessage } from '../exceptions/telemetry';

let idp: TestProvider;
let app: TestApp;
const ID = 'corp';

beforeAll(async () => {
	idp = await startTestProvider();
	app = await testApp({
		oidcProviders: [
			{
				id: ID,
				label: 'Corp IdP',
				issuer: idp.issuer,
				clientId: idp.clientId,
				clientSecret: idp.clientSecret,
				scopes: ['openid', 'email', 'profile', 'groups'],
				groupsClaim: 'groups',
				emailClaim: 'email',
				roleMapping: { viewer: ['exec'], operator: ['support'], approver: ['support-leads'], admin: ['syncscope-admins'] },
				endSession: true
			}
		]
	});
	idp.allow(app.url, ID);
}, 120_000);

afterAll(async () => {
	await app?.close();
	await idp?.close();
});

const ssoUser = async (subject: string) => (await listUsers()).find((u) => u.sso?.provider === ID && u.sso.subject === subject);
/** whether the browser's console session works: a page answers 200, not a redirect to sign in */
const signedIn = async (b: Browser) => (await b.fetch(`${app.url}/lineage`)).status === 200;
const auditRows = (action: string) =>
	db().query<{ SubjectId: string; Result: string; Data: string; Actor: string }>(sql`SELECT SubjectId, Result, Data, Actor FROM audit_log WHERE Action = ${{ String: action }} ORDER BY Seq`);
const sessionCookie = (b: Browser) => b.cookies(app.url).get('syncscope_session');

describe('single sign-on through a real OpenID provider', () => {
	it('creates the account on first sign-in, with its role from the groups, no password, and the provider and subject in the audit', async () => {
		idp.accounts.set('alice', { email: 'Alice@Example.com', groups: ['support', 'unrelated'] });
		const b = new Browser();
		const run = await ssoSignIn(b, app.url, ID, 'alice');
		// the request carried PKCE (S256), state and nonce
		const auth = new URL(run.authUrl);
		expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
		expect(auth.searchParams.get('state')).toBeTruthy();
		expect(auth.searchParams.get('nonce')).toBeTruthy();
		expect(run.response?.status).toBe(303);
		expect(run.next).toBe('/');
		expect(await signedIn(b)).toBe(true);
		expect(b.cookies(app.url).has('syncscope_oidc')).toBe(false);

		const u = await ssoUser('alice');
		expect(u).toMatchObject({ email: 'alice@example.com', role: 'operator', sso: { provider: ID, subject: 'alice' } });
		// no password: a password sign-in with anything fails
		expect((await new Client(app.url).signIn('alice@example.com', '')).status).toBeGreaterThanOrEqual(400);
		const [created] = (await auditRows('sso_account_created')).filter((r) => r.SubjectId === u!.id);
		expect(JSON.parse(created.Data)).toMatchObject({ sso: { provider: ID, subject: 'alice' } });
	});

	it('maps the highest role any group grants', async () => {
		idp.accounts.set('bob', { email: 'bob@example.com', groups: ['exec', 'syncscope-admins', 'support'] });
		const run = await ssoSignIn(new Browser(), app.url, ID, 'bob');
		expect(run.next).toBe('/');
		expect((await ssoUser('bob'))?.role).toBe('admin');
	});

	it('re-reads the groups at the next sign-in: a new role, and the sessions under the old one end', async () => {
		idp.accounts.set('carol', { email: 'carol@example.com', groups: ['exec'] });
		const first = new Browser();
		await ssoSignIn(first, app.url, ID, 'carol');
		expect((await ssoUser('carol'))?.role).toBe('viewer');
		expect(await signedIn(first)).toBe(true);

		idp.accounts.set('carol', { email: 'carol@example.com', groups: ['support-leads'] });
		const second = new Browser();
		const run = await ssoSignIn(second, app.url, ID, 'carol');
		expect(run.next).toBe('/');
		const u = await ssoUser('carol');
		expect(u?.role).toBe('approver');
		expect(await signedIn(second)).toBe(true);
		expect(await signedIn(first)).toBe(false);
		const changed = (await auditRows('sso_role_changed')).find((r) => r.SubjectId === u!.id);
		expect(JSON.parse(changed!.Data)).toMatchObject({ from: 'viewer', to: 'approver', sso: { provider: ID, subject: 'carol' } });
	});

	it('refuses someone whose groups no longer map, and ends the sessions they hold', async () => {
		idp.accounts.set('dave', { email: 'dave@example.com', groups: ['support'] });
		const b = new Browser();
		await ssoSignIn(b, app.url, ID, 'dave');
		const other = new Browser();
		await ssoSignIn(other, app.url, ID, 'dave');
		expect(await signedIn(b)).toBe(true);
		expect(await signedIn(other)).toBe(true);

		idp.accounts.set('dave', { email: 'dave@example.com', groups: ['marketing'] });
		const again = new Browser();
		const run = await ssoSignIn(again, app.url, ID, 'dave');
		expect(run.next).toBe('/login?error=no_role');
		expect(sessionCookie(again)).toBeUndefined();
		expect(await signedIn(b)).toBe(false);
		expect(await signedIn(other)).toBe(false);
		const u = await ssoUser('dave');
		const refused = (await auditRows('sso_sign_in')).filter((r) => r.SubjectId === u!.id);
		expect(refused.at(-1)?.Result).toBe('refused: no_role');
		expect(JSON.parse(refused.at(-1)!.Data)).toMatchObject({ sso: { provider: ID, subject: 'dave' }, sessionsEnded: 2, groups: ['marketing'] });
		// the login page words it
		const page = await (await again.fetch(`${app.url}${run.next}`)).text();
		expect(page).toContain('in no group that has access');
	});

	it('refuses someone never mapped: no account is created', async () => {
		idp.accounts.set('erin', { email: 'erin@example.com', groups: [] });
		const run = await ssoSignIn(new Browser(), app.url, ID, 'erin');
		expect(run.next).toBe('/login?error=no_role');
		expect(await ssoUser('erin')).toBeUndefined();
	});

	it('refuses a forged state, and a callback in a browser that did not start the sign-in', async () => {
		idp.accounts.set('frank', { email: 'frank@example.com', groups: ['support'] });
		const b = new Browser();
		const run = await ssoSignIn(b, app.url, ID, 'frank', { stopAtCallback: true });
		const forged = new URL(run.callbackUrl);
		forged.searchParams.set('state', 'attacker-chosen-state');
		const r = await b.fetch(forged.href);
		expect(r.headers.get('location')).toBe('/login?error=failed');
		expect(sessionCookie(b)).toBeUndefined();

		// login CSRF: the attacker's own genuine callback, opened in the victim's browser
		const run2 = await ssoSignIn(new Browser(), app.url, ID, 'frank', { stopAtCallback: true });
		const victim = new Browser();
		const r2 = await victim.fetch(run2.callbackUrl);
		expect(r2.headers.get('location')).toBe('/login?error=failed');
		expect(sessionCookie(victim)).toBeUndefined();
		expect(await ssoUser('frank')).toBeUndefined();
	});

	it('refuses a replayed code, even with the flow cookie captured', async () => {
		idp.accounts.set('grace', { email: 'grace@example.com', groups: ['support'] });
		const b = new Browser();
		const run = await ssoSignIn(b, app.url, ID, 'grace');
		expect(run.next).toBe('/');
		const attacker = new Browser();
		attacker.cookies(app.url).set('syncscope_oidc', run.flowCookie!);
		const r = await attacker.fetch(run.callbackUrl);
		expect(r.headers.get('location')).toBe('/login?error=failed');
		expect(sessionCookie(attacker)).toBeUndefined();
	});

	it('refuses an id_token whose nonce is not the one this sign-in sent', async () => {
		idp.accounts.set('heidi', { email: 'heidi@example.com', groups: ['support'] });
		const b = new Browser();
		const run = await ssoSignIn(b, app.url, ID, 'heidi', { alterAuthUrl: (u) => u.searchParams.set('nonce', 'a-nonce-from-another-session') });
		expect(run.next).toBe('/login?error=failed');
		expect(sessionCookie(b)).toBeUndefined();
		expect(await ssoUser('heidi')).toBeUndefined();
	});

	it('accepts an id_token re-signed with the provider key (the tampering hook itself changes nothing)', async () => {
		idp.accounts.set('ivan', { email: 'ivan@example.com', groups: ['support'] });
		idp.tamper = (t) => idp.signWithProviderKey(jwtClaims(t));
		try {
			const run = await ssoSignIn(new Browser(), app.url, ID, 'ivan');
			expect(run.next).toBe('/');
		} finally {
			idp.tamper = null;
		}
	});

	it('refuses an id_token signed by another key', async () => {
		idp.accounts.set('judy', { email: 'judy@example.com', groups: ['syncscope-admins'] });
		idp.tamper = (t) => idp.signWithForeignKey(jwtClaims(t));
		try {
			const b = new Browser();
			const run = await ssoSignIn(b, app.url, ID, 'judy');
			expect(run.next).toBe('/login?error=failed');
			expect(sessionCookie(b)).toBeUndefined();
			expect(await ssoUser('judy')).toBeUndefined();
		} finally {
			idp.tamper = null;
		}
	});

	it('refuses an expired id_token', async () => {
		idp.accounts.set('mallory', { email: 'mallory@example.com', groups: ['support'] });
		const hourAgo = Math.floor(Date.now() / 1000) - 3600;
		idp.tamper = (t) => idp.signWithProviderKey({ ...jwtClaims(t), iat: hourAgo - 600, exp: hourAgo, auth_time: hourAgo - 600 });
		try {
			const b = new Browser();
			const run = await ssoSignIn(b, app.url, ID, 'mallory');
			expect(run.next).toBe('/login?error=failed');
			expect(sessionCookie(b)).toBeUndefined();
		} finally {
			idp.tamper = null;
		}
	});

	it('refuses an unverified email for a new account, and an email a local account already has', async () => {
		idp.accounts.set('nina', { email: 'nina@example.com', email_verified: false, groups: ['support'] });
		expect((await ssoSignIn(new Browser(), app.url, ID, 'nina')).next).toBe('/login?error=no_email');
		await createUser({ email: 'olga@example.com', password: 'a long local password for olga', role: 'viewer' });
		idp.accounts.set('olga', { email: 'olga@example.com', groups: ['syncscope-admins'] });
		expect((await ssoSignIn(new Browser(), app.url, ID, 'olga')).next).toBe('/login?error=email_taken');
		expect(await ssoUser('olga')).toBeUndefined();
	});

	it('an SSO user acts like a local one, and the exception audit names the provider and subject', async () => {
		idp.accounts.set('rita', { email: 'rita@example.com', groups: ['support'] });
		const b = new Browser();
		await ssoSignIn(b, app.url, ID, 'rita');
		await failMessage(app.db, { flow: 'inventory-sync', step: 'erp.update-onhand', messageId: 'sso-comment', errorClass: 'validation' });
		const id = exceptionId('inventory-sync', 'sso-comment');
		const r = await b.fetch(`${app.url}/api/v1/exceptions/${id}/actions`, { method: 'POST', origin: app.url, json: { action: 'comment', comment: 'looking' } });
		expect(r.status).toBe(200);
		const [row] = await db().query<{ Actor: string; Role: string; Data: string }>(
			sql`SELECT Actor, Role, Data FROM audit_log WHERE SubjectId = ${{ String: id }} AND Action = 'comment'`
		);
		expect(row).toMatchObject({ Actor: 'rita@example.com', Role: 'operator' });
		expect(JSON.parse(row.Data)).toMatchObject({ sso: `${ID}:rita` });
		// a viewer-level action limit applies the same way: an operator may not approve
		const denied = await b.fetch(`${app.url}/api/v1/exceptions/${id}/actions`, { method: 'POST', origin: app.url, json: { action: 'approve_replay' } });
		expect(denied.status).toBe(403);
	});

	it('signs out of Syncscope and offers the provider end-session', async () => {
		idp.accounts.set('peggy', { email: 'peggy@example.com', groups: ['support'] });
		const b = new Browser();
		await ssoSignIn(b, app.url, ID, 'peggy');
		const out = await b.fetch(`${app.url}/logout`, { method: 'POST', origin: app.url });
		expect(out.headers.get('location')).toBe(`/login?signedOut=${ID}`);
		expect(await signedIn(b)).toBe(false);
		const page = await (await b.fetch(`${app.url}/login?signedOut=${ID}`)).text();
		const link = /href="([^"]+)"[^>]*>Also sign out of Corp IdP/.exec(page)?.[1]?.replace(/&amp;/g, '&');
		expect(link).toBeTruthy();
		const end = new URL(link!);
		expect(end.origin + end.pathname).toBe(`${idp.issuer}/session/end`);
		expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/login`);
		expect(end.searchParams.get('client_id')).toBe(idp.clientId);
	});

	it('shows the provider button on the sign-in page, and SSO vs local on the users page', async () => {
		const login = await (await fetch(`${app.url}/login`)).text();
		expect(login).toContain(`href="/auth/oidc/${ID}"`);
		expect(login).toContain('Sign in with Corp IdP');
		const { client } = await userWithRole(app, 'admin');
		const users = await (await client.fetch('/admin/users')).text();
		expect(users).toContain('SSO · Corp IdP');
		expect(users).toContain('local password');
	});

	it('an admin turns local passwords off for all but break-glass admins; the setting persists', async () => {
		const admin = await userWithRole(app, 'admin');
		const operator = await userWithRole(app, 'operator');
		expect(await localSignIn()).toBe('everyone');

		const viewer = await userWithRole(app, 'viewer');
		const refused = await viewer.client.fetch('/admin/sso?/local', { form: { local: 'break_glass' } });
		expect(refused.status).toBe(403);

		const bad = await admin.client.fetch('/admin/sso?/local', { form: { local: 'nobody' } });
		expect(await bad.text()).toContain('choose who may sign in with a password');

		const r = await admin.client.fetch('/admin/sso?/local', { form: { local: 'break_glass' } });
		expect(r.status).toBe(200);
		expect(await localSignIn()).toBe('break_glass');
		// the operator's session ended and their password no longer signs them in; an admin's still does
		expect((await operator.client.fetch('/lineage')).status).toBe(303);
		expect((await new Client(app.url).signIn(operator.email, operator.password)).status).toBe(401);
		expect((await new Client(app.url).signIn(admin.email, admin.password)).status).toBe(200);
		// SSO is untouched
		idp.accounts.set('quinn', { email: 'quinn@example.com', groups: ['support'] });
		expect((await ssoSignIn(new Browser(), app.url, ID, 'quinn')).next).toBe('/');
		const login = await (await fetch(`${app.url}/login`)).text();
		expect(login).toContain('or with a password: break-glass admins only');
		const audit = await auditRows('local_sign_in_set');
		expect(audit.at(-1)).toMatchObject({ Actor: admin.email, Result: 'ok' });

		await admin.client.fetch('/admin/sso?/local', { form: { local: 'everyone' } });
		expect((await new Client(app.url).signIn(operator.email, operator.password)).status).toBe(200);
		expect((await getUser(operator.id))?.sso).toBeNull();
	});
});
