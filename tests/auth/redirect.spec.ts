/**
 * After sign-in the console goes where `redirectTo` says only when that is a path on this site
 * (issue 14, finding 5): browsers drop tabs and newlines inside URLs and read `\` as `/`, so
 * `/\t/evil.example` is `//evil.example`, another host.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/lib/server/auth/users';
import { safeRedirect } from '../../src/lib/server/request';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';

const SITE = 'https://console.example';
const FALLBACK = '/lineage';
/** Where a browser on a page of SITE goes with this Location header (WHATWG URL parsing). */
const browserGoesTo = (location: string) => new URL(location, `${SITE}/login?redirectTo=x`);

const ATTACKS = [
	'/\t/evil.example/phish',
	'/\n/evil.example',
	'/\r\n/evil.example',
	'\t//evil.example',
	'//evil.example',
	'///evil.example',
	'/\\evil.example',
	'\\\\evil.example',
	'/\\/evil.example',
	'https://evil.example',
	'http:evil.example',
	'javascript:alert(1)',
	' /evil',
	'/%09/evil.example',
	'/\u0000/evil.example',
	'/\u007f/evil.example'
];

describe('safeRedirect', () => {
	it.each(ATTACKS)('keeps %j on this site', (target) => {
		const r = safeRedirect(target, FALLBACK);
		expect(browserGoesTo(r).origin).toBe(SITE);
	});

	it('keeps ordinary paths, queries and fragments as they are', () => {
		for (const p of ['/lineage', '/exceptions?state=open&flow=order-to-cash', '/lineage/SO-1001#logs', '/sla/order-to-cash?range=7d']) {
			expect(safeRedirect(p, FALLBACK)).toBe(p);
		}
		expect(safeRedirect(null, FALLBACK)).toBe(FALLBACK);
		expect(safeRedirect('', FALLBACK)).toBe(FALLBACK);
	});

	// strings built from the pieces open redirects are made of
	const piece = fc.constantFrom('/', '//', '\\', '\t', '\n', '\r', ' ', '\u0000', '\u000b', '\u00a0', '\u2028', '@', ':', '.', '..', '%2F', '%5C', '%09', '?', '#', 'evil.example', 'http:', 'https://', 'javascript:', 'a', '%', '[::1]');
	const nasty = fc.array(piece, { maxLength: 8 }).map((xs) => xs.join(''));
	const anything = fc.oneof(nasty, fc.string(), fc.string({ unit: 'binary' }), fc.webUrl(), fc.webPath());

	it('property: whatever the input, the browser stays on this site', () => {
		fc.assert(
			fc.property(anything, (target) => {
				const r = safeRedirect(target, FALLBACK);
				expect(browserGoesTo(r).origin).toBe(SITE);
				expect(r.startsWith('/')).toBe(true);
				expect(r.startsWith('//')).toBe(false);
				expect(r).not.toMatch(/[\u0000-\u001f\u007f\\]/);
			}),
			{ numRuns: 5000 }
		);
	});

	it('property: what it returns is stable (a second pass changes nothing)', () => {
		fc.assert(
			fc.property(anything, (target) => {
				const r = safeRedirect(target, FALLBACK);
				expect(safeRedirect(r, 'x')).toBe(r);
			}),
			{ numRuns: 2000 }
		);
	});

	it('property: plain site paths pass through unchanged', () => {
		const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
		fc.assert(
			fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
				const p = '/' + segments.join('/');
				expect(safeRedirect(p, FALLBACK)).toBe(p);
			})
		);
	});
});

describe('sign-in with redirectTo', () => {
	let app: TestApp;
	beforeAll(async () => {
		app = await testApp();
	});
	afterAll(async () => {
		await app?.close();
	});

	it('the reported attack (%2F%09%2Fevil.example%2Fphish) lands on this site', async () => {
		const email = 'redirect@example.com';
		await createUser({ email, password: 'the real password', role: 'viewer' });
		const c = new Client(app.url);
		const target = '/login?redirectTo=%2F%09%2Fevil.example%2Fphish';
		// a browser's plain form post: a 303 with Location
		const r = await c.fetch(target, { form: { email, password: 'the real password' }, headers: { accept: 'text/html' } });
		expect(r.status).toBe(303);
		expect(new URL(r.headers.get('location')!, `${app.url}/login`).origin).toBe(app.url);
		// an enhanced form (fetch): the same redirect, as JSON
		c.cookie = '';
		const j = await c.fetch(target, { form: { email, password: 'the real password' }, headers: { accept: 'application/json' } });
		const body = (await j.json()) as { type: string; location: string };
		expect(body.type).toBe('redirect');
		expect(new URL(body.location, `${app.url}/login`).origin).toBe(app.url);
	});

	it('an already signed-in visit to /login with a hostile redirectTo stays on this site', async () => {
		const u = await userWithRole(app, 'viewer');
		for (const target of ATTACKS) {
			const r = await u.client.fetch(`/login?redirectTo=${encodeURIComponent(target)}`);
			expect(r.status).toBe(303);
			expect(new URL(r.headers.get('location')!, `${app.url}/login`).origin).toBe(app.url);
		}
		const ok = await u.client.fetch(`/login?redirectTo=${encodeURIComponent('/exceptions?state=open')}`);
		expect(ok.headers.get('location')).toBe('/exceptions?state=open');
	});
});
