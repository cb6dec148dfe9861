/**
 * The configured OpenID Connect providers (config.ts oidcProviders) and, per provider, the
 * openid-client Configuration built from its discovery document. Discovery runs on first use and is
 * kept; a failed one is forgotten, so the next sign-in tries again.
 */
import * as client from 'openid-client';
import { config, type OidcProviderConfig } from '../../config';

export type { OidcProviderConfig };

export function oidcProviders(): OidcProviderConfig[] {
	return config().oidcProviders;
}

export function oidcProvider(id: string): OidcProviderConfig | null {
	return oidcProviders().find((p) => p.id === id) ?? null;
}

const cache = new Map<string, Promise<client.Configuration>>();

/** http issuers are only accepted on loopback (config.ts); openid-client must be told so. */
const insecure = (issuer: string) => new URL(issuer).protocol === 'http:';

/** The provider's client configuration (discovered once). */
export function clientConfig(p: OidcProviderConfig): Promise<client.Configuration> {
	const key = JSON.stringify([p.id, p.issuer, p.clientId, p.clientSecret]);
	let c = cache.get(key);
	if (!c) {
		c = client
			.discovery(new URL(p.issuer), p.clientId, p.clientSecret, undefined, {
				execute: insecure(p.issuer) ? [client.allowInsecureRequests] : [],
				timeout: 10
			})
			.then((cfg) => {
				// verify the id_token's signature against the provider's published keys (JWKS), although
				// it came straight from the token endpoint: a token signed by any other key is refused
				client.enableNonRepudiationChecks(cfg);
				return cfg;
			});
		c.catch(() => cache.delete(key));
		cache.set(key, c);
	}
	return c;
}

/** Where the provider sends the browser back: one fixed path per provider (register it there). */
export function redirectUri(origin: string, p: Pick<OidcProviderConfig, 'id'>): string {
	return `${origin}/auth/oidc/${encodeURIComponent(p.id)}/callback`;
}

/** The provider's end-session (RP-initiated logout) URL, if it has one and it is wanted. */
export async function endSessionUrl(p: OidcProviderConfig, postLogoutRedirect: string): Promise<string | null> {
	if (!p.endSession) return null;
	try {
		const cfg = await clientConfig(p);
		if (!cfg.serverMetadata().end_session_endpoint) return null;
		return client.buildEndSessionUrl(cfg, { client_id: p.clientId, post_logout_redirect_uri: postLogoutRedirect }).href;
	} catch {
		return null;
	}
}
