/**
 * A real OpenID Provider for tests: panva's certified `oidc-provider` on 127.0.0.1, with its
 * development login page (any login name is an account), accounts whose claims a test edits
 * (groups), consent granted up front, and a hook that can rewrite the id_token the token endpoint
 * returns (re-signed with another key, or with its expiry moved) to play a forged or stale token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, decodeJwt, SignJWT, type JWK, type CryptoKey } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
	email: string;
	email_verified?: boolean;
	name?: string;
	groups: string[];
}

export interface TestProvider {
	issuer: string;
	clientId: string;
	clientSecret: string;
	accounts: Map<string, TestAccount>;
	/** rewrite the next id_tokens from the token endpoint (null: pass them through) */
	tamper: ((idToken: string) => Promise<string>) | null;
	/** sign claims with the provider's own key (a token it would accept as its own) */
	signWithProviderKey(claims: Record<string, unknown>): Promise<string>;
	/** sign claims with a key the provider never published, under the provider's key id */
	signWithForeignKey(claims: Record<string, unknown>): Promise<string>;
	/** register the relying party's origin (redirect URIs) once it is known */
	allow(appOrigin: string, providerId: string): void;
	close(): Promise<void>;
}

const KID = 'test-signing-key';

/** Start the provider on 127.0.0.1 (port 0 unless given). */
export async function startTestProvider(port = 0): Promise<TestProvider> {
	let provider: Provider | null = null;
	const server: Server = createServer((req, res) => {
		if (!provider) {
			res.statusCode = 503;
			res.end('provider not configured yet');
			return;
		}
		provider.callback()(req, res);
	});
	await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
	const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const { privateKey } = await generateKeyPair('RS256', { extractable: true });
	const jwk: JWK = { ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
	const foreign = (await generateKeyPair('RS256')).privateKey;
	const sign = (key: CryptoKey, claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);

	const clientId = 'syncscope-test';
	const clientSecret = 'test-client-secret-0123456789abcdef';
	const accounts = new Map<string, TestAccount>();
	const redirectUris: string[] = [];
	const logoutUris: string[] = [];

	const tp: TestProvider = {
		issuer,
		clientId,
		clientSecret,
		accounts,
		tamper: null,
		signWithProviderKey: (claims) => sign(privateKey, claims),
		signWithForeignKey: (claims) => sign(foreign, claims),
		allow(appOrigin, providerId) {
			redirectUris.push(`${appOrigin}/auth/oidc/${providerId}/callback`);
			logoutUris.push(`${appOrigin}/login`);
			provider = build();
		},
		close: () => new Promise<void>((r) => server.close(() => r()))
	};

	function build(): Provider {
		const p = new Provider(issuer, {
			clients: [
				{
					client_id: clientId,
					client_secret: clientSecret,
					redirect_uris: redirectUris,
					post_logout_redirect_uris: logoutUris,
					response_types: ['code'],
					grant_types: ['authorization_code'],
					token_endpoint_auth_method: 'client_secret_post'
				}
			],
			jwks: { keys: [jwk as never] },
			cookies: { keys: ['test-cookie-signing-key-0123456789'] },
			claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
			// claims requested by scope go into the id_token too, as Entra ID, Okta, Google and Keycloak do
			conformIdTokenClaims: false,
			pkce: { required: () => true },
			ttl: { Interaction: 600, Grant: 3600, Session: 3600, AccessToken: 600, IdToken: 600 },
			features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
			async findAccount(_ctx, id) {
				const a = accounts.get(id);
				if (!a) return undefined;
				return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.email_verified ?? true, name: a.name ?? id, groups: a.groups }) };
			},
			// consent is granted up front (a company app assigned by the admin, as at most providers)
			async loadExistingGrant(ctx) {
				const accountId = ctx.oidc.session?.accountId;
				if (!accountId || !ctx.oidc.client) return undefined;
				const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
				grant.addOIDCScope('openid email profile groups');
				await grant.save();
				return grant;
			}
		});
		p.use(async (ctx, next) => {
			await next();
			const body = ctx.body as { id_token?: string } | undefined;
			if (ctx.path === '/token' && tp.tamper && body && typeof body === 'object' && body.id_token) {
				ctx.body = { ...body, id_token: await tp.tamper(body.id_token) };
			}
		});
		return p;
	}

	return tp;
}

/** The claims of a JWT (no verification: for re-signing in tests). */
export const jwtClaims = (jwt: string) => decodeJwt(jwt) as Record<string, unknown>;
