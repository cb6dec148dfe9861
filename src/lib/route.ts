/**
 * Typed URL builders: every link in the console is built here, so a route's shape changes in one
 * place. Values are encoded; query state the pages read back lives in the same builder.
 */

function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
	const s = q.toString();
	return s ? `${path}?${s}` : path;
}

export const route = {
	home: () => '/',
	login: (redirectTo?: string) => withQuery('/login', { redirectTo }),
	logout: () => '/logout',
	/** the sign-in page with a single sign-on outcome: error = a refusal code, signedOut = the provider to offer sign-out from */
	loginNotice: (q: { error?: string; signedOut?: string }) => withQuery('/login', q),
	/** leave for an OpenID Connect provider (auth/oidc/) */
	ssoStart: (provider: string, redirectTo?: string) => withQuery(`/auth/oidc/${encodeURIComponent(provider)}`, { redirectTo }),
	sla: (q: { flow?: string } = {}) => withQuery('/sla', q),
	lineage: (q: { q?: string } = {}) => withQuery('/lineage', q),
	/** a shareable lineage view; span = "<traceId>:<spanId>" or "log:<n>" selects the detail panel */
	lineageKey: (key: string, q: { span?: string; view?: string } = {}) =>
		withQuery(`/lineage/${encodeURIComponent(key)}`, q),
	exceptions: (q: Record<string, string | undefined> = {}) => withQuery('/exceptions', q),
	exception: (id: string) => `/exceptions/${encodeURIComponent(id)}`,
	exceptionPayload: (id: string) => `/exceptions/${encodeURIComponent(id)}/payload`,
	/** reconciliation of a flow (or the list of flows with rules); window = day | hour, start = ISO in it */
	reconciliation: (flow?: string, q: { window?: string; start?: string; rule?: string; target?: string; state?: string } = {}) =>
		withQuery(flow ? `/reconciliation/${encodeURIComponent(flow)}` : '/reconciliation', q),
	/** the keys behind a reconciliation figure, as JSON or CSV */
	reconciliationKeys: (flow: string, q: { rule: string; target: string; state: string; window?: string; start?: string; limit?: number; format?: 'csv' }) =>
		withQuery(`/api/v1/reconciliation/${encodeURIComponent(flow)}/keys`, q),
	alerts: () => '/alerts',
	alertRules: (q: { flow?: string } = {}) => withQuery('/alerts/rules', q),
	alertChannels: () => '/alerts/channels',
	admin: () => '/admin',
	adminUsers: () => '/admin/users',
	adminSso: () => '/admin/sso',
	adminTokens: () => '/admin/tokens',
	adminIngest: () => '/admin/ingest',
	adminRunbooks: () => '/admin/runbooks',
	adminEndpoints: () => '/admin/endpoints',
	adminFlows: (q: { version?: number } = {}) => withQuery('/admin/flows', q),
	/** the rule workbench; version = the rule version shown in the editor */
	adminInterpretation: (q: { version?: number } = {}) => withQuery('/admin/interpretation', q),
	api: {
		lineage: (key: string) => withQuery('/api/v1/lineage', { key }),
		session: () => '/api/v1/session',
		users: () => '/api/v1/users',
		tokens: () => '/api/v1/tokens',
		openapi: () => '/api/v1/openapi.json'
	}
};
