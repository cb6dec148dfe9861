import { fail } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { createChannel, listChannels, sendTestNotice, updateChannel } from '$lib/server/alerts/channels';
import { deliveries } from '$lib/server/alerts/store';
import { catalogue } from '$lib/server/flows/catalogue';
import { problemOf } from '$lib/server/exceptions/http';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'alerts:admin');
	const [channels, sent] = await Promise.all([listChannels(), deliveries({ limit: 500 })]);
	const lastOf = new Map<string, (typeof sent)[number]>();
	for (const d of sent) if (!lastOf.has(d.channelId)) lastOf.set(d.channelId, d);
	return {
		channels: channels.map((c) => ({ ...c, last: lastOf.get(c.id) ?? null })),
		flows: catalogue().flows.map((f) => ({ id: f.id, name: f.name }))
	};
};

function failWith(e: unknown, form: string, values: Record<string, unknown> = {}) {
	const p = problemOf(e);
	return fail(p.status, { form, error: p.message, issues: p.issues ?? [p.message], ...values });
}

export const actions: Actions = {
	create: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const fd = await request.formData();
		const values = { name: String(fd.get('name') ?? ''), kind: String(fd.get('kind') ?? ''), url: String(fd.get('url') ?? ''), flows: fd.getAll('flows').map(String) };
		const secret = String(fd.get('secret') ?? '').trim();
		try {
			const r = await createChannel({ ...values, ...(secret ? { secret } : {}) }, user);
			return { form: 'create', created: { name: r.channel.name, kind: r.channel.kind, secret: r.secret ?? null } };
		} catch (e) {
			return failWith(e, 'create', { values });
		}
	},
	update: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const fd = await request.formData();
		const id = String(fd.get('id') ?? '');
		try {
			const url = String(fd.get('url') ?? '').trim();
			// an empty URL keeps the current one (it is never shown, so it cannot be pre-filled)
			await updateChannel(id, { ...(url ? { url } : {}), flows: fd.getAll('flows').map(String) }, user);
			return { form: 'update', id, ok: true as const };
		} catch (e) {
			return failWith(e, 'update', { id });
		}
	},
	toggle: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const fd = await request.formData();
		const id = String(fd.get('id') ?? '');
		try {
			await updateChannel(id, { enabled: fd.get('enabled') === 'true' }, user);
		} catch (e) {
			return failWith(e, 'toggle', { id });
		}
	},
	remove: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await updateChannel(id, {}, user, undefined, { deleted: true });
		} catch (e) {
			return failWith(e, 'remove', { id });
		}
	},
	test: async ({ locals, request }) => {
		const user = authorize(locals, 'alerts:admin');
		const id = String((await request.formData()).get('id') ?? '');
		try {
			const d = await sendTestNotice(id, user);
			return { form: 'test', id, delivery: d };
		} catch (e) {
			return failWith(e, 'test', { id });
		}
	}
};
