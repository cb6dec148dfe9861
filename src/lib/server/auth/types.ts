/** Ordered: each role may do everything the roles before it may (roles.ts PERMISSIONS). */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether a holder of `have` may act with `need` (e.g. create or use a token of that role). */
export function roleCovers(have: string, need: string): boolean {
	const h = (ROLES as readonly string[]).indexOf(have);
	const n = (ROLES as readonly string[]).indexOf(need);
	return h >= 0 && n >= 0 && h >= n;
}

/**
 * Who is making this request: always a person. A signed-in user, or an API token acting for the
 * user who created it (id and email are the creator's; role is the token's, never above the
 * creator's current role), so every rule about people (four-eyes, last admin, your own account)
 * holds whichever way they came in.
 */
export interface SessionUser {
	id: string;
	email: string;
	role: Role;
	/** 'session' for cookie sign-ins, 'token' for Authorization: Bearer */
	via: 'session' | 'token';
	sessionId?: string;
	/** the API token the person acts through (via 'token'): audit rows name it beside the person */
	token?: { id: string; name: string };
	/** signed in through single sign-on: the provider and the subject it knows them by (audit rows name them) */
	sso?: { provider: string; subject: string };
}
