/**
 * Every role against every endpoint, page and form action found in src/routes (route-scan.ts).
 * Expected result comes from PERMISSIONS (roles.ts), keyed by the permission each handler
 * authorizes: a role without it gets 403; a role with it gets through (anything but 401/403, and
 * no 500). Signed-out requests get 401 (API) or a redirect to /login (pages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../../src/lib/server/auth/roles';
import { ROLES, type Role } from '../../src/lib/server/auth/types';
import { createApiToken } from '../../src/lib/server/auth/tokens';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';
import { scanRoutes, type Endpoint } from './route-scan';

/** reachable without signing in (sign-in itself, single sign-on's way out and back: tests/auth/sso.int.spec.ts, sign-out, the API description) */
const PUBLIC = new Set(['GET /login', 'POST /login', 'GET /auth/oidc/x', 'GET /auth/oidc/x/callback', 'POST /logout', 'POST /api/v1/session', 'DELETE /api/v1/session', 'GET /api/v1/openapi.json', 'GET /']);
/** routes whose check happens elsewhere, with the reason */
const SIGNED_IN_ONLY = new Set<string>([]);

const endpoints = scanRoutes().filter((e) => !PUBLIC.has(e.label));

let app: TestApp;
const pageClients = new Map<Role, Client>();
const tokens = new Map<Role, string>();
beforeAll(async () => {
	app = await testApp();
	for (const role of ROLES) {
		const user = await userWithRole(app, role);
		pageClients.set(role, user.client);
		// a token acts for its creator, with at most the creator's role
		tokens.set(role, (await createApiToken({ name: `matrix-${role}`, role, createdBy: user.id })).token);
	}
});
afterAll(async () => app?.close());

function allowed(e: Endpoint, role: Role): boolean {
	return e.permissions.every((p) => (PERMISSIONS[p as Permission] as readonly Role[] | undefined)?.includes(role) ?? false);
}

/** API routes use the role's bearer token (a DELETE /api/v1/session must not end the page session). */
function send(e: Endpoint, role: Role | null): Promise<Response> {
	const c = role ? pageClients.get(role)! : new Client(app.url);
	// a browser form post (accept: text/html); SvelteKit answers `use:enhance` posts as JSON with status 200
	if (e.kind === 'action') return c.fetch(e.path, { method: 'POST', form: {}, headers: { accept: 'text/html' } });
	const headers: Record<string, string> = {};
	if (e.kind === 'api' && role) headers.authorization = `Bearer ${tokens.get(role)}`;
	const withBody = ['POST', 'PUT', 'PATCH'].includes(e.method);
	const client = e.kind === 'api' && role ? new Client(app.url) : c;
	return client.fetch(e.path, { method: e.method, headers, ...(withBody ? { json: {} } : {}) });
}

describe('route scan', () => {
	it('finds the routes, and every one declares a permission', () => {
		expect(endpoints.map((e) => e.label)).toEqual(expect.arrayContaining(['GET /api/v1/lineage', 'GET /lineage/x', 'POST /api/v1/users', 'POST /admin/users?/create']));
		const unguarded = endpoints.filter((e) => e.permissions.length === 0 && !SIGNED_IN_ONLY.has(e.label));
		expect(unguarded.map((e) => `${e.label} (${e.file})`), 'call authorize(locals, permission) in these handlers').toEqual([]);
		const unknown = endpoints.flatMap((e) => e.permissions.filter((p) => !(p in PERMISSIONS)).map((p) => `${e.label}: ${p}`));
		expect(unknown).toEqual([]);
	});
});

describe.each(endpoints.map((e) => [e.label, e] as const))('%s', (_label, e) => {
	it('refuses anonymous requests', async () => {
		const r = await send(e, null);
		if (e.kind === 'api') expect(r.status).toBe(401);
		else {
			expect(r.status).toBe(303);
			expect(r.headers.get('location')).toMatch(/^\/login/);
		}
	});
	it.each(ROLES.map((r) => [r]))('as %s', async (role) => {
		const r = await send(e, role);
		const expectAllowed = allowed(e, role);
		if (expectAllowed) {
			expect([401, 403], `${role} should pass ${e.permissions.join(' + ')}`).not.toContain(r.status);
			expect(r.status, await r.clone().text()).toBeLessThan(500);
		} else {
			expect(r.status, `${role} lacks ${e.permissions.join(' + ')}`).toBe(403);
		}
	});
});
