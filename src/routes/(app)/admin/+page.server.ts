import { authorize } from '$lib/server/auth/roles';
import { recentAttempts } from '$lib/server/auth/throttle';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	authorize(locals, 'users:admin');
	return { attempts: await recentAttempts(100) };
};
