import { authorize } from '$lib/server/auth/roles';
import { csvLine } from '$lib/server/exceptions/evidence';
import { ActionError } from '$lib/server/exceptions/errors';
import { problemResponse } from '$lib/server/exceptions/http';
import { EXPORT_COLUMNS, exportRow, listExceptions, parseListQuery } from '$lib/server/exceptions/list';
import type { RequestHandler } from './$types';

/** Rows read per page while streaming (each page is one keyset query). */
const PAGE = 1000;

/**
 * GET /api/v1/exceptions/export?format=csv|json&<the queue's filters> → every exception matching the
 * filters (not one page), streamed page by page in the queue's order. Role: exceptions:read.
 */
export const GET: RequestHandler = async ({ locals, url }) => {
	const user = authorize(locals, 'exceptions:read');
	const format = url.searchParams.get('format') ?? 'csv';
	const params = new URLSearchParams(url.searchParams);
	params.delete('format');
	params.delete('cursor');
	params.delete('offset');
	params.set('limit', String(PAGE));
	let first;
	try {
		if (format !== 'csv' && format !== 'json') throw new ActionError(400, 'format: must be csv or json');
		first = await listExceptions(parseListQuery(params), user, { groups: false });
	} catch (e) {
		return problemResponse(e);
	}
	const enc = new TextEncoder();
	const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
	let page: typeof first | null = first;
	let written = 0;
	const stream = new ReadableStream<Uint8Array>({
		start(c) {
			c.enqueue(enc.encode(format === 'csv' ? csvLine(EXPORT_COLUMNS) : `{"total":${first.total},"items":[`));
		},
		async pull(c) {
			if (!page) {
				c.enqueue(enc.encode(format === 'csv' ? '' : ']}\n'));
				c.close();
				return;
			}
			const chunk = page.items
				.map((i) => {
					const row = exportRow(i);
					return format === 'csv' ? csvLine(EXPORT_COLUMNS.map((k) => row[k])) : `${written++ ? ',' : ''}\n${JSON.stringify(row)}`;
				})
				.join('');
			c.enqueue(enc.encode(chunk));
			if (!page.next) page = null;
			else {
				params.set('cursor', page.next);
				page = await listExceptions(parseListQuery(params), user, { groups: false });
			}
		}
	});
	return new Response(stream, {
		headers: {
			'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
			'content-disposition': `attachment; filename="exceptions-${stamp}.${format}"`,
			'cache-control': 'no-store'
		}
	});
};
