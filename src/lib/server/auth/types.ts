export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

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
}
