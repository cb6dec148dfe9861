import { fail, redirect } from '@sveltejs/kit';
import { signIn, setSessionCookie } from '$lib/server/auth';
import { clientAddress, safeRedirect } from '$lib/server/request';
import { route } from '$lib/route';
import { localSignIn } from '$lib/server/auth/local-sign-in';
import { endSessionUrl, oidcProvider, oidcProviders } from '$lib/server/auth/oidc/providers';
import type { SsoRefusal } from '$lib/server/auth/oidc/sign-in';
import type { Actions, PageServerLoad } from './$types';

/** What the sign-in page says after a single sign-on did not happen (codes from auth/oidc/sign-in.ts). */
const SSO_REFUSALS: Record<SsoRefusal, string> = {
	failed: 'Single sign-on did not complete: the answer from your identity provider could not be verified. Start again with the button below.',
	unavailable: 'Your identity provider could not be reached. Try again in a moment, or ask an admin.',
	no_role: 'Your account at the identity provider is in no group that has access to Syncscope. Ask your admin to add you to one.',
	disabled: 'Your Syncscope account is disabled. Ask an admin.',
	no_email: 'Your identity provider did not send a verified email address, which Syncscope needs to create your account.',
	email_taken: 'A Syncscope account with your email address already exists and signs in differently. Ask an admin.',
	last_admin: 'Your identity provider no longer makes you an admin, but you are the last admin of Syncscope: another admin must be appointed first.'
};

export const load: PageServerLoad = async ({ locals, url }) => {
	const redirectTo = url.searchParams.get('redirectTo');
	if (locals.user) redirect(303, safeRedirect(redirectTo, route.home()));
	const error = url.searchParams.get('error') as SsoRefusal | null;
	const signedOut = url.searchParams.get('signedOut');
	const from = signedOut ? oidcProvider(signedOut) : null;
	const [local, endSession] = await Promise.all([localSignIn(), from ? endSessionUrl(from, `${url.origin}${route.login()}`) : null]);
	return {
		providers: oidcProviders().map((p) => ({ label: p.label, href: route.ssoStart(p.id, redirectTo ?? undefined) })),
		localOnlyForAdmins: local === 'break_glass',
		ssoError: error && Object.hasOwn(SSO_REFUSALS, error) ? SSO_REFUSALS[error] : null,
		signedOutFrom: from && endSession ? { label: from.label, href: endSession } : null
	};
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
		redirect(303, safeRedirect(url.searchParams.get('redirectTo'), route.home()));
	}
};
