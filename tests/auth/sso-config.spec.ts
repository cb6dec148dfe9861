/** Single sign-on configuration (config.ts oidcProviders) and the group → role mapping. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/lib/server/config';
import { claimValues, mapRole } from '../../src/lib/server/auth/oidc/role-mapping';

const good = {
	id: 'okta',
	label: 'Okta',
	issuer: 'https://example.okta.com',
	clientId: '0oa1',
	roleMapping: { operator: ['support'] }
};
const env = (providers: unknown, extra: Record<string, string> = {}) => ({ SYNCSCOPE_OIDC_PROVIDERS: JSON.stringify(providers), ...extra });

describe('oidcProviders configuration', () => {
	it('takes the client secret from SYNCSCOPE_OIDC_<ID>_CLIENT_SECRET or a file, and fills in defaults', () => {
		const c = loadConfig(env([{ ...good, id: 'corp-sso' }], { SYNCSCOPE_OIDC_CORP_SSO_CLIENT_SECRET: 's3cret' }));
		expect(c.oidcProviders[0]).toMatchObject({
			clientSecret: 's3cret',
			scopes: ['openid', 'email', 'profile'],
			groupsClaim: 'groups',
			emailClaim: 'email',
			endSession: true,
			roleMapping: { viewer: [], operator: ['support'], approver: [], admin: [] }
		});
		const file = join(mkdtempSync(join(tmpdir(), 'sso-secret-')), 'secret');
		writeFileSync(file, 'from-a-file\n');
		expect(loadConfig(env([{ ...good, clientSecretFile: file }])).oidcProviders[0].clientSecret).toBe('from-a-file');
		expect(loadConfig({}).oidcProviders).toEqual([]);
	});

	it('lists every problem at once', () => {
		const bad = [
			{ ...good, issuer: 'http://idp.example.com', clientSecret: 'x' },
			{ ...good, clientSecret: 'x', scopes: ['email'], roleMapping: {} },
			{ ...good, id: 'Bad Id!' },
			{ ...good, clientSecret: 'x', roleMapping: { superuser: ['x'] } },
			{ ...good, id: 'filed', clientSecretFile: '/nonexistent/secret' }
		];
		let message = '';
		try {
			loadConfig(env(bad));
		} catch (e) {
			expect(e).toBeInstanceOf(ConfigError);
			message = (e as Error).message;
		}
		expect(message).toContain('(oidcProviders.0.issuer): https (http only for localhost / 127.0.0.1)');
		expect(message).toContain('(oidcProviders.1.scopes): must include openid');
		expect(message).toContain('(oidcProviders.1.roleMapping): map at least one group or claim value to a role');
		expect(message).toContain('(oidcProviders.1.id): provider id okta is used twice');
		expect(message).toContain('(oidcProviders.2.id): lower-case letters');
		expect(message).toContain('(oidcProviders.2.clientSecret): missing: set clientSecret');
		expect(message).toContain('(oidcProviders.3.roleMapping): Unrecognized key: "superuser"');
		expect(message).toContain('(oidcProviders.4.clientSecretFile): cannot read /nonexistent/secret');
		expect(message.split('\n').length).toBeGreaterThanOrEqual(9);
	});

	it('accepts http only for a provider on this machine', () => {
		expect(loadConfig(env([{ ...good, issuer: 'http://127.0.0.1:17050', clientSecret: 'x' }])).oidcProviders[0].issuer).toBe('http://127.0.0.1:17050');
	});
});

describe('group → role mapping', () => {
	const mapping = { viewer: ['exec'], operator: ['support'], approver: ['leads'], admin: ['admins'] };
	it('gives the highest role any value grants, and none for unmapped values', () => {
		expect(mapRole(mapping, ['support', 'exec'])).toBe('operator');
		expect(mapRole(mapping, ['exec', 'admins', 'leads'])).toBe('admin');
		expect(mapRole(mapping, ['marketing'])).toBeNull();
		expect(mapRole(mapping, [])).toBeNull();
	});
	it('reads a claim that is a list, a single value, or a nested path', () => {
		expect(claimValues({ groups: ['a', 'b', 7, { x: 1 }] }, 'groups')).toEqual(['a', 'b', '7']);
		expect(claimValues({ hd: 'example.com' }, 'hd')).toEqual(['example.com']);
		expect(claimValues({ realm_access: { roles: ['ops'] } }, 'realm_access.roles')).toEqual(['ops']);
		expect(claimValues({ 'https://example.com/roles': ['r'] }, 'https://example.com/roles')).toEqual(['r']);
		expect(claimValues({}, 'groups')).toEqual([]);
	});
});
