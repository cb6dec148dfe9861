/**
 * Demo provisioning against the real console (built handler, fresh chDB): the admin signs in over
 * the API, one user per role is created (a second run finds them there), and each can sign in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/lib/server/auth/users';
import { provision, ConsoleApi } from '../../demo/provision';
import { freshState } from '../../demo/state';
import { testApp, type TestApp } from '../helpers/app';

let app: TestApp;
const state = freshState();
const admin = state.users.find((u) => u.role === 'admin')!;

beforeAll(async () => {
	// the setting takes the env's comma-separated text: it lets the loopback endpoint register
	app = await testApp({ actionAllowlist: '127.0.0.1:16999,127.0.0.1:16998' as unknown as string[] });
	await createUser({ email: admin.email, password: admin.password, role: 'admin' });
});
afterAll(async () => {
	await app?.close();
});

describe('demo provisioning through the console API', () => {
	it('creates a user per role, each of whom can sign in with the printed password', async () => {
		const r = await provision({ consoleUrl: app.url, admin, users: state.users });
		expect(r.created.sort()).toEqual(state.users.filter((u) => u.role !== 'admin').map((u) => u.email).sort());
		expect(r.warnings).toEqual([]);
		for (const u of state.users) {
			const res = await new ConsoleApi(app.url).signIn(u.email, u.password);
			expect(res.status, u.email).toBe(200);
			expect(((await res.json()) as { user: { role: string } }).user.role).toBe(u.role);
		}
	});

	it('is idempotent: a second run finds the users and creates nothing', async () => {
		const r = await provision({ consoleUrl: app.url, admin, users: state.users });
		expect(r.created).toEqual([]);
		expect(r.warnings).toEqual([]);
	});

	it('says why when the admin cannot sign in, instead of failing the demo', async () => {
		const r = await provision({ consoleUrl: app.url, admin: { email: admin.email, password: 'not-the-password' }, users: state.users });
		expect(r.created).toEqual([]);
		expect(r.warnings.join('\n')).toMatch(/could not sign in as admin@demo\.example\.com \(HTTP 401\)/);
	});

	it('registers the action endpoint with its own secret', async () => {
		const r = await provision({
			consoleUrl: app.url,
			admin,
			users: [],
			endpoint: { name: 'Keystone demo middleware', url: 'http://127.0.0.1:16999/syncscope/actions', secret: state.actionEndpoint.secret }
		});
		expect(r.warnings).toEqual([]);
		expect(r.endpoint?.id).toBeTruthy();
		expect(r.endpoint?.secret).toBe(state.actionEndpoint.secret);

		// a later run on another port moves the same endpoint instead of registering a second one
		const url = 'http://127.0.0.1:16998/syncscope/actions';
		const moved = await provision({ consoleUrl: app.url, admin, users: [], endpoint: { name: 'Keystone demo middleware', url, secret: state.actionEndpoint.secret, existingId: r.endpoint!.id } });
		expect(moved.warnings).toEqual([]);
		expect(moved.endpoint?.id).toBe(r.endpoint!.id);
		const api = new ConsoleApi(app.url);
		await api.signIn(admin.email, admin.password);
		const list = (await (await api.request('GET', '/api/v1/action-endpoints')).json()) as { items: { id: string; url: string }[] };
		expect(list.items.map((e) => [e.id, e.url])).toEqual([[r.endpoint!.id, url]]);
	});
});
