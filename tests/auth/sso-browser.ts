/**
 * A minimal browser for single sign-on tests over plain HTTP: one cookie jar per host (as browsers
 * keep them, whatever the port), redirects followed by hand, and the provider's login form filled in.
 */
export class Browser {
	readonly jar = new Map<string, Map<string, string>>();

	cookies(url: string): Map<string, string> {
		const host = new URL(url).hostname;
		let m = this.jar.get(host);
		if (!m) this.jar.set(host, (m = new Map()));
		return m;
	}

	async fetch(url: string, init: { method?: string; form?: Record<string, string>; json?: unknown; origin?: string } = {}): Promise<Response> {
		const headers = new Headers();
		const jar = this.cookies(url);
		if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
		let body: string | undefined;
		if (init.form) {
			headers.set('content-type', 'application/x-www-form-urlencoded');
			body = new URLSearchParams(init.form).toString();
		}
		if (init.json !== undefined) {
			headers.set('content-type', 'application/json');
			body = JSON.stringify(init.json);
		}
		if (init.origin) headers.set('origin', init.origin);
		const r = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
		for (const c of r.headers.getSetCookie()) {
			const [pair, ...attrs] = c.split(';');
			const eq = pair.indexOf('=');
			const name = pair.slice(0, eq).trim();
			const value = pair.slice(eq + 1).trim();
			const gone = !value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()));
			if (gone) jar.delete(name);
			else jar.set(name, value);
		}
		return r;
	}
}

const location = (r: Response, base: string) => new URL(r.headers.get('location') ?? '', base).href;

export interface SsoRun {
	/** the authorization URL the console sent the browser to */
	authUrl: string;
	/** the provider's redirect back to the console (with code, state, iss) */
	callbackUrl: string;
	/** the flow cookie the console set, as it stood when the provider sent the browser back */
	flowCookie: string | undefined;
	/** the console's answer to the callback (unless stopped before it) */
	response?: Response;
	/** where that answer sends the browser */
	next?: string;
}

/**
 * Sign in through the provider as `login`: start at the console, log in on the provider's page,
 * come back. `alterAuthUrl` plays an attacker between the console and the provider; `stopAtCallback`
 * returns before the console sees the callback.
 */
export async function ssoSignIn(
	b: Browser,
	appUrl: string,
	providerId: string,
	login: string,
	opts: { alterAuthUrl?: (u: URL) => void; stopAtCallback?: boolean } = {}
): Promise<SsoRun> {
	const start = await b.fetch(`${appUrl}/auth/oidc/${providerId}`);
	if (start.status !== 303) throw new Error(`start: ${start.status} ${await start.text()}`);
	const auth = new URL(location(start, appUrl));
	opts.alterAuthUrl?.(auth);
	let url = auth.href;
	for (let hop = 0; hop < 20; hop++) {
		if (url.startsWith(`${appUrl}/auth/oidc/${providerId}/callback`)) {
			const flowCookie = b.cookies(appUrl).get('syncscope_oidc');
			if (opts.stopAtCallback) return { authUrl: auth.href, callbackUrl: url, flowCookie };
			const response = await b.fetch(url);
			return { authUrl: auth.href, callbackUrl: url, flowCookie, response, next: response.headers.get('location') ?? undefined };
		}
		const r = await b.fetch(url);
		if (r.status >= 300 && r.status < 400) {
			url = location(r, url);
			continue;
		}
		const html = await r.text();
		const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
		const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
		if (r.status !== 200 || !action || !prompt) throw new Error(`provider page ${url}: ${r.status} ${html.slice(0, 500)}`);
		const submit = await b.fetch(new URL(action.replace(/&amp;/g, '&'), url).href, {
			form: prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
			origin: new URL(url).origin
		});
		if (submit.status < 300 || submit.status >= 400) throw new Error(`provider ${prompt}: ${submit.status} ${(await submit.text()).slice(0, 500)}`);
		url = location(submit, url);
	}
	throw new Error('too many redirects');
}
