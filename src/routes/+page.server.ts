import { redirect } from '@sveltejs/kit';
import { route } from '$lib/route';
import type { PageServerLoad } from './$types';

/**
 * The start page by role: support (operators, approvers) opens on the exceptions queue, where their
 * day is; executives (viewers) and admins on the service-level overview. The hooks send signed-out
 * visitors to /login first.
 */
export const load: PageServerLoad = async ({ locals }) => {
	const role = locals.user?.role;
	redirect(307, role === 'operator' || role === 'approver' ? route.exceptions() : route.sla());
};
