import { redirect } from '@sveltejs/kit';
import { route } from '$lib/route';
import type { PageServerLoad } from './$types';

/** Resolved at build time: the SLA overview becomes the home page once that route exists. */
const hasOverview = Object.keys(import.meta.glob('./(app)/sla/+page.svelte')).length > 0;

/** The console opens on the overview, else lineage (the hooks send signed-out visitors to /login first). */
export const load: PageServerLoad = async () => {
	redirect(307, hasOverview ? route.sla() : route.lineage());
};
