/**
 * Roles from the provider: the values of the configured claim (groups, app roles, a hosted domain)
 * mapped to Syncscope roles; the highest role any value grants wins. The claim is read from the
 * verified id_token only: what the provider signed decides, never anything the browser sent.
 */
import type { OidcProviderConfig } from '../../config';
import { ROLES, type Role } from '../types';

/** The values of a claim, a dotted path reaching into nested objects (Keycloak's realm_access.roles). */
export function claimValues(claims: Record<string, unknown>, path: string): string[] {
	let v: unknown = path in claims ? claims[path] : undefined;
	if (v === undefined) {
		v = claims;
		for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
	}
	const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
	return list.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number').map(String);
}

/** The role the values map to, or null when none of them is mapped. */
export function mapRole(mapping: OidcProviderConfig['roleMapping'], values: string[]): Role | null {
	const have = new Set(values);
	for (const role of [...ROLES].reverse()) if (mapping[role].some((g) => have.has(g))) return role;
	return null;
}
