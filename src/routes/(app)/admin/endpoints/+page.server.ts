import { fail } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { config } from '$lib/server/config';
import { catalogue } from '$lib/server/flows/catalogue';
import { adminAllowlist, createEndpoint, listEndpoints, setAllowed, updateEndpoint } from '$lib/server/actions/endpoints';
import { problemOf } from '$lib/server/exceptions/http';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'endpoints:admin');
	const [endpoints, allow] = await Promise.all([listEndpoints(), adminAllowlist()]);
	return { endpoints, allow, envAllow: config().actionAllowlist, flows: catalogue().flows.map((f) => f.id) };
};

function failWith(e: unknown, form: string, values: Record<string, unknown> = {}) {
	const p = problemOf(e);
	return fail(p.status, { form, error: p.message, ...values });
}

export const actions: Actions = {
	create: async ({ locals, request }) => {
		const user = authorize(locals, 'endpoints:admin');
		const fd = await request.formData();
		const values = { name: String(fd.get('name') ?? ''), url: String(fd.get('url') ?? ''), flows: fd.getAll('flows').map(String) };
		try {
			const { id, secret } = await createEndpoint({ ...values, secret: String(fd.get('secret') ?? '') || undefined }, user);
			return { form: 'create', created: { id, name: values.name, secret } };
		} catch (e) {
			return failWith(e, 'create', values);
		}
	},
	toggle: async ({ locals, request }) => {
		const user = authorize(locals, 'endpoints:admin');
		const fd = await request.formData();
		try {
			await updateEndpoint(String(fd.get('id')), { enabled: fd.get('enabled') === 'true', reason: 'disabled by an admin' }, user);
		} catch (e) {
			return failWith(e, 'toggle');
		}
	},
	remove: async ({ locals, request }) => {
		const user = authorize(locals, 'endpoints:admin');
		try {
			await updateEndpoint(String((await request.formData()).get('id')), { deleted: true }, user);
		} catch (e) {
			return failWith(e, 'remove');
		}
	},
	allow: async ({ locals, request }) => {
		const user = authorize(locals, 'endpoints:admin');
		const fd = await request.formData();
		try {
			await setAllowed(String(fd.get('hostPort') ?? ''), fd.get('allowed') !== 'false', user);
		} catch (e) {
			return failWith(e, 'allow', { hostPort: String(fd.get('hostPort') ?? '') });
		}
	}
};
