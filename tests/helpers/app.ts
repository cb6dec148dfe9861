/**
 * The built console (build/handler.js, `npm run build` first) served in this process on port 0,
 * over a fresh migrated chDB: security tests drive the real app, hooks and routes included.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { BUILD_HANDLER } from '../../cli/console-server';
import type { Config } from '../../src/lib/server/config';
import { createUser } from '../../src/lib/server/auth/users';
import type { Role } from '../../src/lib/server/auth/types';
import { testDb, type TestDb } from './db';

type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void;

export interface TestApp extends TestDb {
	url: string;
	server: Server;
	close(): Promise<void>;
}

export async function testApp(overrides: Partial<Config> = {}): Promise<TestApp> {
	if (!existsSync(BUILD_HANDLER)) throw new Error('build the console first: npx vite build');
	// the test server's peer is loopback: trusting it as a proxy lets tests play several client IPs
	// through x-forwarded-for (src/lib/server/request.ts clientAddress; a test may override it)
	const t = await testDb({ trustedProxies: ['127.0.0.1'], ...overrides });
	// adapter-node reads these at import: the request's own headers say which origin it was sent to,
	// so a test can also play a proxied https deployment (x-forwarded-proto: https).
	delete process.env.ORIGIN;
	process.env.PROTOCOL_HEADER = 'x-forwarded-proto';
	process.env.HOST_HEADER = 'x-forwarded-host';
	// build/ is externalised in vite.config.ts (test.server.deps.external): Node loads the built
	// chunks itself, so `_layout.svelte.js-….js` does not go through the Svelte plugin again.
	const { handler } = (await import(pathToFileURL(BUILD_HANDLER).href)) as { handler: Handler };
	const server = createServer((req, res) => {
		req.headers['x-forwarded-proto'] ??= 'http';
		req.headers['x-forwarded-host'] ??= req.headers.host;
		req.headers['x-forwarded-for'] ??= '127.0.0.1';
		handler(req, res, () => {
			res.statusCode = 404;
			res.end();
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		...t,
		url,
		server,
		async close() {
			await new Promise<void>((r) => server.close(() => r()));
			await t.cleanup();
		}
	};
}

/** A client that keeps the session cookie and sends a same-origin Origin header on writes. */
export class Client {
	cookie = '';
	constructor(
		readonly base: string,
		/** the client IP the app sees (x-forwarded-for) */
		readonly ip = '127.0.0.1'
	) {}

	async fetch(path: string, init: RequestInit & { origin?: string | null; json?: unknown; form?: Record<string, string> } = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		if (this.cookie) headers.set('cookie', this.cookie);
		headers.set('x-forwarded-for', this.ip);
		const method = init.method ?? (init.json !== undefined || init.form ? 'POST' : 'GET');
		if (init.origin !== null && !['GET', 'HEAD'].includes(method)) headers.set('origin', init.origin ?? this.base);
		let body = init.body;
		if (init.json !== undefined) {
			headers.set('content-type', 'application/json');
			body = JSON.stringify(init.json);
		}
		if (init.form) {
			headers.set('content-type', 'application/x-www-form-urlencoded');
			body = new URLSearchParams(init.form).toString();
		}
		const r = await fetch(this.base + path, { ...init, method, headers, body, redirect: 'manual' });
		const set = r.headers.getSetCookie();
		for (const c of set) {
			const [pair] = c.split(';');
			const [name, value] = pair.split('=');
			if (name === 'syncscope_session') this.cookie = value ? `${name}=${value}` : '';
		}
		return r;
	}

	async signIn(email: string, password: string): Promise<Response> {
		return this.fetch('/api/v1/session', { json: { email, password } });
	}
}

let n = 0;
/** Create a user with a role and a signed-in client for them. */
export async function userWithRole(app: TestApp, role: Role): Promise<{ client: Client; email: string; password: string; id: string }> {
	const email = `${role}-${++n}-${Date.now()}@example.com`;
	const password = `password-${role}-${n}-long`;
	const u = await createUser({ email, password, role });
	const client = new Client(app.url);
	const r = await client.signIn(email, password);
	if (r.status !== 200) throw new Error(`sign-in as ${role} failed: ${r.status} ${await r.text()}`);
	return { client, email, password, id: u.id };
}
