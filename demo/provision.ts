/**
 * Sets the console up for the demo through its public API (docs/contracts.md "Auth", "Action
 * webhooks"): signs in as the bootstrap admin, creates one user per role and registers the
 * estate's action endpoint. APIs that are not there yet (404) are reported, not fatal.
 */

export type Role = 'viewer' | 'operator' | 'approver' | 'admin';

export interface DemoUser {
	role: Role;
	email: string;
	password: string;
	/** who this account is for, printed next to the credentials */
	persona: string;
}

export interface EndpointRegistration {
	name: string;
	url: string;
	secret: string;
	flows?: string[];
	/** registered by an earlier run (at another URL): moved to `url` rather than registered twice */
	existingId?: string;
}

export interface ProvisionResult {
	warnings: string[];
	/** users created now (those that existed already are not listed) */
	created: string[];
	endpoint?: { id: string; secret: string };
}

export class ConsoleApi {
	private cookie = '';

	/** `origin`: the console's public origin (ORIGIN), sent as the Origin header its CSRF check wants */
	constructor(
		readonly baseUrl: string,
		readonly origin = baseUrl
	) {}

	async signIn(email: string, password: string): Promise<Response> {
		const res = await this.request('POST', '/api/v1/session', { email, password });
		// Node's fetch keeps no cookie jar: carry the session cookie (name=value pairs) ourselves.
		const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
		if (cookies.length) this.cookie = cookies.join('; ');
		return res;
	}

	request(method: string, path: string, body?: unknown): Promise<Response> {
		const headers: Record<string, string> = { origin: this.origin, accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.cookie) headers.cookie = this.cookie;
		return fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
	}
}

/** Create the demo users and register the action endpoint (unless `endpoint` is omitted). */
export async function provision(o: { consoleUrl: string; origin?: string; admin: { email: string; password: string }; users: DemoUser[]; endpoint?: EndpointRegistration }): Promise<ProvisionResult> {
	const api = new ConsoleApi(o.consoleUrl, o.origin);
	const out: ProvisionResult = { warnings: [], created: [] };
	const session = await api.signIn(o.admin.email, o.admin.password);
	if (session.status === 404) {
		out.warnings.push('the console has no sign-in API yet (POST /api/v1/session → 404): demo users and the action endpoint were not set up');
		return out;
	}
	if (!session.ok) {
		out.warnings.push(`could not sign in as ${o.admin.email} (HTTP ${session.status}): is the data dir from another demo with a different admin password?`);
		return out;
	}
	for (const u of o.users) {
		if (u.email === o.admin.email) continue;
		const res = await api.request('POST', '/api/v1/users', { email: u.email, password: u.password, role: u.role });
		if (res.ok) out.created.push(u.email);
		else if (res.status === 409) continue; // created by an earlier run of the demo
		else if (res.status === 404) {
			out.warnings.push('the console has no user API yet (POST /api/v1/users → 404): only the admin can sign in');
			break;
		} else out.warnings.push(`could not create ${u.email} (HTTP ${res.status}: ${await res.text()})`);
	}
	if (o.endpoint?.existingId) {
		const id = o.endpoint.existingId;
		const res = await api.request('PATCH', `/api/v1/action-endpoints/${encodeURIComponent(id)}`, { url: o.endpoint.url, enabled: true });
		if (res.ok) out.endpoint = { id, secret: o.endpoint.secret };
		// 404: an admin deleted it (or the API is missing); register anew below
		else if (res.status !== 404) out.warnings.push(`could not move the action endpoint to ${o.endpoint.url} (HTTP ${res.status}: ${await res.text()})`);
	}
	if (o.endpoint && !out.endpoint) {
		const { existingId: _, ...registration } = o.endpoint;
		const res = await api.request('POST', '/api/v1/action-endpoints', registration);
		if (res.ok) {
			const body = (await res.json()) as { id?: string; secret?: string };
			out.endpoint = { id: String(body.id ?? ''), secret: body.secret ?? o.endpoint.secret };
		} else if (res.status === 404) {
			out.warnings.push('the console has no action-endpoint API yet (POST /api/v1/action-endpoints → 404): approved replays will not reach the demo middleware');
		} else {
			out.warnings.push(`could not register the action endpoint ${o.endpoint.url} (HTTP ${res.status}: ${await res.text()})`);
		}
	}
	await api.request('DELETE', '/api/v1/session');
	return out;
}
