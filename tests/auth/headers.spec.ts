/**
 * Response headers and sign-out (issue 14, findings 11 and 18): a Content-Security-Policy on every
 * page with nonces for SvelteKit's inline script, `Cache-Control: no-store` on what a signed-in
 * user sees, and a sign-out that only this origin can trigger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';

let app: TestApp;
beforeAll(async () => {
	app = await testApp();
});
afterAll(async () => {
	await app?.close();
});

function directives(csp: string | null): Map<string, string[]> {
	expect(csp, 'content-security-policy header').toBeTruthy();
	return new Map(
		csp!
			.split(';')
			.map((d) => d.trim().split(/\s+/))
			.filter((d) => d[0])
			.map(([name, ...values]) => [name, values])
	);
}

describe('Content-Security-Policy', () => {
	it('on pages: scripts only from this origin or with the response nonce; no framing, plugins or foreign forms', async () => {
		const u = await userWithRole(app, 'admin');
		for (const [client, path] of [
			[new Client(app.url), '/login'],
			[u.client, '/lineage'],
			[u.client, '/sla'],
			[u.client, '/exceptions'],
			[u.client, '/admin/users']
		] as const) {
			const r = await client.fetch(path);
			expect(r.status, path).toBe(200);
			const d = directives(r.headers.get('content-security-policy'));
			expect(d.get('default-src')).toEqual(["'self'"]);
			const scriptSrc = d.get('script-src')!;
			expect(scriptSrc).not.toContain("'unsafe-inline'");
			expect(scriptSrc).not.toContain("'unsafe-eval'");
			const nonce = scriptSrc.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
			expect(nonce, `${path}: a nonce in script-src`).toBeTruthy();
			expect(d.get('object-src')).toEqual(["'none'"]);
			expect(d.get('frame-ancestors')).toEqual(["'none'"]);
			expect(d.get('base-uri')).toEqual(["'self'"]);
			expect(d.get('form-action')).toEqual(["'self'"]);
			// every inline script in the page carries that nonce; nothing else is inline
			const html = await r.text();
			const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
			expect(inline.length, path).toBeGreaterThan(0);
			for (const [, attrs] of inline) expect(attrs, path).toContain(`nonce="${nonce}"`);
			expect(html).not.toMatch(/\son[a-z]+="/);
		}
	});

	it('a fresh nonce on every response', async () => {
		const a = directives((await new Client(app.url).fetch('/login')).headers.get('content-security-policy'));
		const b = directives((await new Client(app.url).fetch('/login')).headers.get('content-security-policy'));
		expect(a.get('script-src')).not.toEqual(b.get('script-src'));
	});

	it('on JSON: nothing may load or frame it', async () => {
		const u = await userWithRole(app, 'viewer');
		const r = await u.client.fetch('/api/v1/flows');
		expect(r.status).toBe(200);
		expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
	});
});

describe('Cache-Control: no-store', () => {
	it('on every page and API answer to a signed-in user (session or token), and on the sign-in answer', async () => {
		const u = await userWithRole(app, 'admin');
		for (const path of ['/lineage', '/sla', '/exceptions', '/admin/users', '/api/v1/flows', '/api/v1/exceptions']) {
			const r = await u.client.fetch(path);
			expect(r.status, path).toBe(200);
			expect(r.headers.get('cache-control'), path).toBe('no-store');
		}
		const signIn = await new Client(app.url).signIn(u.email, u.password);
		expect(signIn.status).toBe(200);
		expect(signIn.headers.get('cache-control')).toBe('no-store');
		const token = (await (await u.client.fetch('/api/v1/tokens', { json: { name: 'cache check', role: 'viewer' } })).json()) as { token: string };
		const viaToken = await fetch(`${app.url}/api/v1/flows`, { headers: { authorization: `Bearer ${token.token}` } });
		expect(viaToken.status).toBe(200);
		expect(viaToken.headers.get('cache-control')).toBe('no-store');
	});
});

describe('sign-out', () => {
	const SIBLING = 'http://other.localhost:8080'; // a sibling origin of the same site: SameSite=Lax sends the cookie

	it('a body-less POST from another origin is refused and the session lives on', async () => {
		const u = await userWithRole(app, 'viewer');
		// what fetch('/logout', { method: 'POST', mode: 'no-cors', credentials: 'include' }) or sendBeacon sends
		const r = await u.client.fetch('/logout', { method: 'POST', origin: SIBLING });
		expect(r.status).toBe(403);
		expect((await u.client.fetch('/lineage')).status).toBe(200);
	});

	it('a POST without Origin carrying the session cookie is refused', async () => {
		const u = await userWithRole(app, 'viewer');
		const r = await u.client.fetch('/logout', { method: 'POST', origin: null });
		expect(r.status).toBe(403);
		expect((await u.client.fetch('/lineage')).status).toBe(200);
	});

	it('GET (a link, an image) does not sign out', async () => {
		const u = await userWithRole(app, 'viewer');
		const r = await u.client.fetch('/logout');
		expect(r.status).toBe(405);
		expect((await u.client.fetch('/lineage')).status).toBe(200);
	});

	it("the layout's sign-out is a same-origin POST form, and it works", async () => {
		const u = await userWithRole(app, 'viewer');
		const html = await (await u.client.fetch('/lineage')).text();
		expect(html).toMatch(/<form[^>]*method="POST"[^>]*action="\/logout"/);
		const r = await u.client.fetch('/logout', { method: 'POST' });
		expect(r.status).toBe(303);
		expect(r.headers.get('location')).toBe('/login');
		expect((await u.client.fetch('/lineage')).status).toBe(303);
	});
});
