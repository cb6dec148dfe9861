import { json } from '@sveltejs/kit';
import { authorize } from '$lib/server/auth/roles';
import { listExceptions, parseListQuery } from '$lib/server/exceptions/list';
import { problemResponse } from '$lib/server/exceptions/http';
import type { RequestHandler } from './$types';

/**
 * GET /api/v1/exceptions?state=&flow=&view=&sort=&limit=&cursor=… → { total, items, groups, next }
 * (the contract's fields; `next` is the cursor of the following page, null on the last).
 */
export const GET: RequestHandler = async ({ locals, url }) => {
	const user = authorize(locals, 'exceptions:read');
	try {
		const q = parseListQuery(url.searchParams);
		const { total, items, groups, next } = await listExceptions(q, user);
		return json({
			total,
			items: items.map((i) => ({
				id: i.id,
				flow: i.flow,
				step: i.step,
				correlationId: i.correlationId,
				messageId: i.messageId,
				errorClass: i.errorClass,
				errorCode: i.errorCode,
				amount: i.amount,
				currency: i.currency,
				state: i.state,
				attempts: i.attempts,
				firstSeen: i.firstSeen,
				lastSeen: i.lastSeen,
				owner: i.owner
			})),
			groups,
			next
		});
	} catch (e) {
		return problemResponse(e);
	}
};
