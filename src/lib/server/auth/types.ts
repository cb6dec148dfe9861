export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is making this request: a signed-in user or an API token acting with a role. */
export interface SessionUser {
	id: string;
	email: string;
	role: Role;
	/** 'session' for cookie sign-ins, 'token' for Authorization: Bearer */
	via: 'session' | 'token';
	sessionId?: string;
}
