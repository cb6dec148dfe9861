/**
 * The queue: filters (from the query string, zod-validated), owner (runbook / flow / assignee),
 * sort, paging and grouping by error signature. SQL narrows by everything it can; the owner filter
 * runs here because the owner comes from runbooks and the flow catalogue, not from ClickHouse.
 */
import { z } from 'zod';
import { governanceOf } from './governance';
import { ownerOf } from './owner';
import { queryExceptions, queryGroups, queryPage, type ExceptionRow } from './queries';
import { STATES } from './state';

const optText = z.string().trim().max(200).optional().transform((v) => v || undefined);
const blankIsUnset = (v: unknown) => (v === '' || v === null ? undefined : v);
/** a whole number in [min, max]: out of range is a 400 naming the bound, never a wrapped UInt32 in SQL */
const boundedInt = (min: number, max: number) =>
	z.coerce.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const optInt = (max: number) => z.preprocess(blankIsUnset, boundedInt(0, max).optional());
/** ten years, in minutes */
const MAX_AGE_MINUTES = 10 * 366 * 24 * 60;
/** deeper than this, narrow the filters instead of paging */
export const MAX_OFFSET = 1_000_000;

export const listQuery = z.object({
	flow: optText,
	step: optText,
	system: optText,
	partner: optText,
	errorClass: optText,
	errorCode: optText,
	owner: optText,
	key: optText,
	state: z.preprocess(
		(v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v),
		z.array(z.enum(STATES, { message: `state must be one of ${STATES.join(', ')}` })).optional()
	),
	/** only exceptions first seen more than this many minutes ago */
	olderThanMinutes: optInt(MAX_AGE_MINUTES),
	newerThanMinutes: optInt(MAX_AGE_MINUTES),
	minAmount: z.preprocess(blankIsUnset, z.coerce.number().min(0, 'must be 0 or more').max(1e15, 'must be at most 1e15').optional()),
	sort: z.enum(['lastSeen', 'firstSeen', 'attempts', 'amount']).default('lastSeen'),
	dir: z.enum(['asc', 'desc']).default('desc'),
	limit: boundedInt(1, 1000).default(100),
	offset: boundedInt(0, MAX_OFFSET).default(0)
});
export type ListQuery = z.input<typeof listQuery>;

export interface QueueItem extends ExceptionRow {
	owner: string;
	runbookId: string | null;
	signature: string;
}

export interface QueueGroup {
	signature: string;
	count: number;
	flow: string;
	step: string;
	errorClass: string;
	errorCode: string;
	oldest: string;
}

/** Parse URLSearchParams into a ListQuery (throws a ZodError with what is wrong). */
export function parseListQuery(params: URLSearchParams) {
	return listQuery.parse(Object.fromEntries([...params.keys()].map((k) => [k, params.get(k) ?? ''])));
}

export function signatureOf(e: Pick<ExceptionRow, 'flow' | 'step' | 'errorClass' | 'errorCode'>): string {
	return `${e.flow || '(no flow)'} · ${e.step || '(no step)'} · ${e.errorClass || '?'}/${e.errorCode || '?'}`;
}

/** Rows read into this process when the owner filter is used (owners are not in ClickHouse). */
export const OWNER_FILTER_CAP = 5000;

export async function listExceptions(raw: ListQuery): Promise<{ total: number; items: QueueItem[]; groups: QueueGroup[] }> {
	const q = listQuery.parse(raw);
	// owner and runbook are those the exception's policy was fixed by (governance.ts), as on its page
	const decorate = async (rows: ExceptionRow[]): Promise<QueueItem[]> => {
		const gov = await governanceOf(rows.map((r) => r.id));
		return rows.map((r) => {
			const rb = gov.get(r.id)?.primary?.runbook ?? null;
			return { ...r, owner: ownerOf(r.assignee, rb, r.flow), runbookId: rb?.id ?? null, signature: signatureOf(r) };
		});
	};
	if (!q.owner) {
		// everything in ClickHouse: one page of rows, the true total, and the signature counts
		const page = await queryPage(q, q.sort, q.dir, q.limit, q.offset);
		const groups = await queryGroups(q);
		return {
			total: page.total,
			items: await decorate(page.rows),
			groups: groups.map((g) => ({ ...g, signature: signatureOf(g) }))
		};
	}
	const owner = q.owner.toLowerCase();
	const items = (await decorate(await queryExceptions(q, OWNER_FILTER_CAP))).filter((i) => i.owner.toLowerCase() === owner);
	const key = (i: QueueItem): number | string =>
		q.sort === 'attempts' ? i.attempts : q.sort === 'amount' ? (i.amount ?? -1) : q.sort === 'firstSeen' ? i.firstSeen : i.lastSeen;
	const sign = q.dir === 'asc' ? 1 : -1;
	items.sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : a.id < b.id ? -1 : 1));
	const groups = new Map<string, QueueGroup>();
	for (const i of items) {
		const g = groups.get(i.signature) ?? { signature: i.signature, count: 0, flow: i.flow, step: i.step, errorClass: i.errorClass, errorCode: i.errorCode, oldest: i.firstSeen };
		g.count++;
		if (i.firstSeen < g.oldest) g.oldest = i.firstSeen;
		groups.set(i.signature, g);
	}
	return {
		total: items.length,
		items: items.slice(q.offset, q.offset + q.limit),
		groups: [...groups.values()].sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature))
	};
}
