import { fail, redirect } from '@sveltejs/kit';
import { signIn, setSessionCookie } from '$lib/server/auth';
import { clientAddress, safeRedirect } from '$lib/server/request';
import { route } from '$lib/route';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	if (locals.user) redirect(303, safeRedirect(url.searchParams.get('redirectTo'), route.lineage()));
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		const { request, cookies, url } = event;
		const form = await request.formData();
		const email = String(form.get('email') ?? '').slice(0, 320);
		const password = String(form.get('password') ?? '').slice(0, 1024);
		if (!email || !password) return fail(400, { email, message: 'Enter your email and password.' });
		const r = await signIn(email, password, { ip: clientAddress(event), userAgent: request.headers.get('user-agent') ?? '' });
		if (!r.ok && r.reason === 'throttled') {
			const s = Math.ceil(r.retryAfterMs / 1000);
			return fail(429, { email, message: `Too many failed attempts. Try again in ${s} second${s === 1 ? '' : 's'}.` });
		}
		if (!r.ok) return fail(400, { email, message: 'Email or password is not correct.' });
		setSessionCookie(cookies, url, r.token, r.expiresAt);
		redirect(303, safeRedirect(url.searchParams.get('redirectTo'), route.lineage()));
	}
};
