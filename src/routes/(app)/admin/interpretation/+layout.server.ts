import { authorize } from '$lib/server/auth/roles';
import { latestReinterpret } from '$lib/server/interpret/reinterpret';
import { REINTERPRET_STATUS } from './types';
import type { LayoutServerLoad } from './$types';

/** The newest re-interpret job, apart from the page's load: the page polls it alone while a job runs. */
export const load: LayoutServerLoad = async ({ locals, depends }) => {
	authorize(locals, 'interpretation:edit');
	depends(REINTERPRET_STATUS);
	return { reinterpret: await latestReinterpret() };
};
