/**
 * Roles and what each may do, checked on the server for every page, form action and endpoint.
 * A domain adds its permissions here; routes call authorize(locals, 'permission').
 */
import { error } from '@sveltejs/kit';
import type { Role, SessionUser } from './types';

export { ROLES, type Role } from './types';

const everyone: Role[] = ['viewer', 'operator', 'approver', 'admin'];
const support: Role[] = ['operator', 'approver', 'admin'];

export const PERMISSIONS = {
	'lineage:read': everyone,
	'sla:read': everyone,
	/** reconciliation results and their keys (rules are edited with the flow catalogue: flows:edit) */
	'reconciliation:read': everyone,
	'exceptions:read': everyone,
	/** retry, quarantine, release, request replay, resolve, discard, assign, comment */
	'exceptions:act': support,
	/** approve or reject a requested replay (never one's own request: enforced in the domain) */
	'replay:approve': ['approver', 'admin'],
	'alerts:read': everyone,
	/** acknowledge or silence an alert */
	'alerts:act': support,
	/** edit alert rules and notification channels */
	'alerts:admin': ['admin'],
	'runbooks:edit': ['admin'],
	'flows:edit': ['admin'],
	'interpretation:edit': ['admin'],
	'users:admin': ['admin'],
	'tokens:admin': ['admin'],
	'endpoints:admin': ['admin']
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(user: Pick<SessionUser, 'role'> | null | undefined, permission: Permission): boolean {
	return !!user && (PERMISSIONS[permission] as readonly Role[]).includes(user.role);
}

/** The signed-in user if allowed; 401 when nobody is signed in, 403 when the role may not. */
export function authorize(locals: { user: SessionUser | null }, permission: Permission): SessionUser {
	if (!locals.user) error(401, 'Sign in to continue');
	if (!can(locals.user, permission)) error(403, `Your role (${locals.user.role}) may not do this (${permission})`);
	return locals.user;
}
