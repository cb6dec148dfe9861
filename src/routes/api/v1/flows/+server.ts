import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { catalogue } from '$lib/server/flows/catalogue';
import { versionDocument } from '$lib/server/flows/versions';
import type { RequestHandler } from './$types';

/** GET /api/v1/flows: the catalogue in use (flows, steps, owners, objectives in milliseconds). */
export const GET: RequestHandler = async ({ locals }) => {
	authorize(locals, 'sla:read');
	const { version } = await versionDocument();
	const flows = catalogue().flows.map((f) => ({
		id: f.id,
		name: f.name,
		description: f.description,
		businessOwner: f.businessOwner,
		technicalOwner: f.technicalOwner,
		steps: f.steps.map((s) => ({ id: s.id, name: s.name, system: s.system, withinMs: s.within ?? null, optional: s.optional })),
		objectives: f.objectives
	}));
	return json({ version, flows });
};
