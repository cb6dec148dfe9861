/**
 * The queue: filters (from the query string, zod-validated), owner (runbook / flow / assignee),
 * sort, paging and grouping by error signature. SQL narrows by everything it can; the owner filter
 * runs here because the owner comes from runbooks and the flow catalogue, not from ClickHouse.
 */
import { z } from 'zod';
import { governanceOf } from './governance';
import { runbooks, type LoadedRunbook } from '../runbooks/loader';
import { ownerOf } from './owner';
import { queryExceptions, queryGroups, queryPage, type ExceptionRow, type PageCursor, type SqlFilters } from './queries';
import { ActionError } from './errors';
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
	/**
	 * 'attention': what needs a person (open, replay requested, replay rejected, or assigned to you
	 * and not closed); 'all': every state. An explicit `state` filter replaces either. The API's
	 * default is 'all' (its contract); the queue page opens on QUEUE_DEFAULTS.
	 */
	view: z.enum(['attention', 'all']).default('all'),
	/** 'risk': value at risk, then age (oldest first) */
	sort: z.enum(['risk', 'lastSeen', 'firstSeen', 'attempts', 'amount']).default('lastSeen'),
	dir: z.enum(['asc', 'desc']).default('desc'),
	limit: boundedInt(1, 1000).default(100),
	offset: boundedInt(0, MAX_OFFSET).default(0),
	/** where the previous page ended (its `next`); opaque to clients */
	cursor: z.preprocess(blankIsUnset, z.string().max(400).optional())
});
export type ListQuery = z.input<typeof listQuery>;

/** What the queue page opens on: what needs a person, highest value at risk first, then the oldest. */
export const QUEUE_DEFAULTS = { view: 'attention', sort: 'risk', dir: 'desc' } as const;

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
export function parseListQuery(params: URLSearchParams, defaults: Partial<Record<keyof ListQuery, string>> = {}) {
	return listQuery.parse({ ...defaults, ...Object.fromEntries([...params.keys()].map((k) => [k, params.get(k) ?? ''])) });
}

export function signatureOf(e: Pick<ExceptionRow, 'flow' | 'step' | 'errorClass' | 'errorCode'>): string {
	return `${e.flow || '(no flow)'} · ${e.step || '(no step)'} · ${e.errorClass || '?'}/${e.errorCode || '?'}`;
}

/** Rows read into this process when the owner filter is used (owners are not in ClickHouse). */
export const OWNER_FILTER_CAP = 5000;

/** The columns of an export (CSV header, JSON keys), in order. */
export const EXPORT_COLUMNS = [
	'id', 'state', 'flow', 'step', 'businessKey', 'messageId', 'entityType', 'entityId', 'partner', 'source', 'target',
	'errorClass', 'errorCode', 'errorMessage', 'amount', 'currency', 'attempts', 'deadLetters', 'firstSeen', 'lastSeen', 'owner', 'runbookId'
] as const;

/** One exception as an export row. */
export function exportRow(i: QueueItem): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
	return {
		id: i.id, state: i.state, flow: i.flow, step: i.step, businessKey: i.correlationId, messageId: i.messageId,
		entityType: i.entityType, entityId: i.entityId, partner: i.partner, source: i.source, target: i.target,
		errorClass: i.errorClass, errorCode: i.errorCode, errorMessage: i.errorMessage, amount: i.amount, currency: i.currency,
		attempts: i.attempts, deadLetters: i.deadLetters, firstSeen: i.firstSeen, lastSeen: i.lastSeen, owner: i.owner, runbookId: i.runbookId
	};
}

/** A page boundary as an opaque token, bound to the sort it was made for. */
export function encodeCursor(sort: string, dir: string, c: PageCursor): string {
	return Buffer.from(JSON.stringify([sort, dir, c.k1, c.k2, c.id])).toString('base64url');
}

const cursorShape = z.tuple([z.string(), z.string(), z.number(), z.string().regex(/^-?\d{1,20}$/), z.string().regex(/^[0-9a-f]{1,64}$/)]);

/** The boundary in a token, or a 400 naming what is wrong. */
export function decodeCursor(token: string, sort: string, dir: string): PageCursor {
	let parsed;
	try {
		parsed = cursorShape.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
	} catch {
		throw new ActionError(400, 'cursor: not a cursor this queue issued; start from the first page');
	}
	const [s, d, k1, k2, id] = parsed;
	if (s !== sort || d !== dir) throw new ActionError(400, `cursor: it belongs to another sort (${s} ${d}); start from the first page`);
	return { k1, k2, id };
}

/** The SQL filters a parsed query means for this user (the default view needs their email). */
export function sqlFilters(q: z.output<typeof listQuery>, user?: { email: string } | null): SqlFilters {
	const attention = q.view === 'attention' && !q.state?.length;
	return { ...q, attentionOf: attention ? (user?.email ?? '') : undefined };
}

export interface QueuePage {
	total: number;
	items: QueueItem[];
	groups: QueueGroup[];
	/** the token for the next page, or null on the last one */
	next: string | null;
}

/**
 * The runbook each exception's policy was fixed by, per runbook set (ids and versions), exception and
 * projection time: a projected row is rewritten whenever a failure or an audit row of it arrives, and
 * the policy ledger only changes with an audit row, so an unchanged row has an unchanged governance.
 */
const primaryCache = new Map<string, LoadedRunbook | null>();
const PRIMARY_CACHE_SIZE = 20_000;

/** Decorate rows with owner, runbook and signature (owner and runbook as on the exception's page). */
async function decorate(rows: ExceptionRow[]): Promise<QueueItem[]> {
	const books = await runbooks();
	const set = books.map((b) => `${b.runbook.id}@${b.version}`).join(',');
	const keyOf = (r: ExceptionRow) => (r.projectedAt ? `${set}|${r.id}|${r.projectedAt}` : null);
	const missing = rows.filter((r) => {
		const k = keyOf(r);
		return k === null || !primaryCache.has(k);
	});
	const gov = await governanceOf(missing.map((r) => r.id));
	const primary = new Map<string, LoadedRunbook | null>();
	for (const r of rows) {
		const k = keyOf(r);
		if (k !== null && primaryCache.has(k)) primary.set(r.id, primaryCache.get(k)!);
		else {
			const p = gov.get(r.id)?.primary ?? null;
			primary.set(r.id, p);
			if (k !== null) {
				primaryCache.set(k, p);
				if (primaryCache.size > PRIMARY_CACHE_SIZE) primaryCache.delete(primaryCache.keys().next().value!);
			}
		}
	}
	return rows.map((r) => {
		const rb = primary.get(r.id)?.runbook ?? null;
		return { ...r, owner: ownerOf(r.assignee, rb, r.flow), runbookId: rb?.id ?? null, signature: signatureOf(r) };
	});
}

export async function listExceptions(raw: ListQuery, user?: { email: string } | null, opts: { groups?: boolean } = {}): Promise<QueuePage> {
	const q = listQuery.parse(raw);
	const f = sqlFilters(q, user);
	const cursor = q.cursor ? decodeCursor(q.cursor, q.sort, q.dir) : null;
	if (!q.owner) {
		// everything in ClickHouse: one page of rows, the true total, and the signature counts
		// the signatures are counted while the page is read and decorated
		const grouping = opts.groups === false ? Promise.resolve([]) : queryGroups(f);
		const page = await queryPage(f, q.sort, q.dir, q.limit, { offset: q.offset, cursor });
		const [items, groups] = await Promise.all([decorate(page.rows), grouping]);
		return {
			total: page.total,
			items,
			groups: groups.map((g) => ({ ...g, signature: signatureOf(g) })),
			next: page.next ? encodeCursor(q.sort, q.dir, page.next) : null
		};
	}
	const owner = q.owner.toLowerCase();
	const items = (await decorate(await queryExceptions(f, OWNER_FILTER_CAP))).filter((i) => i.owner.toLowerCase() === owner);
	const nano = (ts: string) => {
		const [whole, frac = ''] = ts.split('.');
		return BigInt(Date.parse(`${whole.replace(' ', 'T')}Z`)) * 1_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
	};
	// the same keys as SQL (queries.ts SORT_KEYS), so a cursor means the same thing on both paths
	const keys = (i: QueueItem): PageCursor => {
		const amount = i.amount ?? -1e308;
		if (q.sort === 'risk') return { k1: amount, k2: String(-nano(i.firstSeen)), id: i.id };
		if (q.sort === 'attempts') return { k1: i.attempts, k2: String(nano(i.lastSeen)), id: i.id };
		if (q.sort === 'amount') return { k1: amount, k2: String(nano(i.lastSeen)), id: i.id };
		return { k1: 0, k2: String(nano(q.sort === 'firstSeen' ? i.firstSeen : i.lastSeen)), id: i.id };
	};
	const cmp = (a: PageCursor, b: PageCursor) =>
		a.k1 !== b.k1 ? (a.k1 < b.k1 ? -1 : 1) : a.k2 !== b.k2 ? (BigInt(a.k2) < BigInt(b.k2) ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
	const sign = q.dir === 'asc' ? 1 : -1;
	items.sort((a, b) => sign * cmp(keys(a), keys(b)));
	const groups = new Map<string, QueueGroup>();
	for (const i of items) {
		const g = groups.get(i.signature) ?? { signature: i.signature, count: 0, flow: i.flow, step: i.step, errorClass: i.errorClass, errorCode: i.errorCode, oldest: i.firstSeen };
		g.count++;
		if (i.firstSeen < g.oldest) g.oldest = i.firstSeen;
		groups.set(i.signature, g);
	}
	const rest = cursor ? items.filter((i) => sign * cmp(keys(i), cursor) > 0) : items.slice(q.offset);
	const page = rest.slice(0, q.limit);
	const last = page[page.length - 1];
	return {
		total: items.length,
		items: page,
		groups: [...groups.values()].sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature)),
		next: rest.length > q.limit && last ? encodeCursor(q.sort, q.dir, keys(last)) : null
	};
}
