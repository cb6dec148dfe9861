/**
 * The triage queue on real chDB and real HTTP (the built console): the default view (what needs a
 * person), sorting by value at risk then age, cursor paging with a true total, CSV/JSON export of
 * the whole filter, and the bulk dry run over everything a filter matches.
 * Needs `npx vite build` first (tests/helpers/app.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, testApp, userWithRole, type TestApp } from '../helpers/app';
import { deadLetter, insertLogs, insertSpans, span, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { listExceptions, QUEUE_DEFAULTS } from '../../src/lib/server/exceptions/list';
import { performAction } from '../../src/lib/server/exceptions/service';
import { users } from './setup';

let app: TestApp;
let rx: Receiver;
let secret = '';
let operator: { client: Client; email: string };
let viewer: { client: Client; email: string };

const CODE = `Q-${randomBytes(3).toString('hex')}`;
/** amount and age (minutes ago) of each message, m0…m7 */
const PLAN: [number | null, number][] = [
	[500, 90],
	[1_200, 80],
	[9_000, 50],
	[9_000, 40],
	[120, 30],
	[null, 20],
	[3_000, 15],
	[7_000, 10]
];
const msg = (i: number): Msg => ({
	flow: 'inventory-sync',
	step: 'erp.update-onhand',
	messageId: `${CODE}-m${i}`,
	correlationId: `ADJ-${CODE}-${i}`,
	errorClass: 'transport',
	errorCode: CODE,
	...(PLAN[i][0] === null ? {} : { amount: PLAN[i][0]!, currency: 'EUR' })
});
const id = (i: number) => exceptionId('inventory-sync', msg(i).messageId);

beforeAll(async () => {
	setRunbookFiles(undefined);
	app = await testApp({ runbooksDir: 'runbooks', deliveryBackoffMs: 5, deliveryAttempts: 3, secretKey: randomBytes(32).toString('base64') });
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'inv', url: rx.url, flows: ['inventory-sync'] }, users.admin));
	for (let i = 0; i < PLAN.length; i++) {
		const at = -PLAN[i][1] * 60_000;
		const traceId = randomBytes(16).toString('hex');
		await insertSpans(app.db, [span(msg(i), { outcome: 'failed', at, traceId })]);
		await insertLogs(app.db, [deadLetter(msg(i), `{"adjustment":${i}}`, { at: at + 1000, traceId })]);
	}
	// m0: the middleware delivered it later (resolved); m1: quarantined; m2: quarantined and assigned to
	// the operator; m3: replay requested; m4: discarded; m5–m7 open
	await insertSpans(app.db, [span(msg(0), { outcome: 'success', at: -60_000 })]);
	operator = await userWithRole(app, 'operator');
	viewer = await userWithRole(app, 'viewer');
	const me = { id: 'op', email: operator.email, role: 'operator' as const, via: 'session' as const };
	await performAction(id(1), { action: 'quarantine' }, me);
	await performAction(id(2), { action: 'quarantine' }, me);
	await performAction(id(2), { action: 'assign', assignee: operator.email }, me);
	await performAction(id(3), { action: 'request_replay' }, me);
	await performAction(id(4), { action: 'discard', comment: 'test data' }, me);
}, 120_000);
afterAll(async () => {
	await rx?.close();
	await app?.close();
});

describe('the queue', () => {
	it('opens on what needs a person (open, replay requested, assigned to me), by value at risk then age', async () => {
		const q = await listExceptions({ ...QUEUE_DEFAULTS, errorCode: CODE }, { email: operator.email });
		// m2 and m3 tie at 9,000: the older (m2) first; no amount sorts last
		expect(q.items.map((i) => i.id)).toEqual([id(2), id(3), id(7), id(6), id(5)]);
		expect(q.total).toBe(5);
		expect(q.groups).toEqual([expect.objectContaining({ errorCode: CODE, count: 5 })]);
		// someone else does not see m2 (assigned to the operator, quarantined)
		const other = await listExceptions({ ...QUEUE_DEFAULTS, errorCode: CODE }, { email: 'someone@example.com' });
		expect(other.items.map((i) => i.id)).toEqual([id(3), id(7), id(6), id(5)]);
		// every state: all eight
		expect((await listExceptions({ ...QUEUE_DEFAULTS, view: 'all', errorCode: CODE })).total).toBe(8);
	});

	it('pages with a cursor: every row once, in order, with the same total on each page', async () => {
		const all = await listExceptions({ view: 'all', sort: 'risk', errorCode: CODE, limit: 100 });
		const seen: string[] = [];
		let cursor: string | undefined;
		for (let n = 0; n < 10; n++) {
			const p = await listExceptions({ view: 'all', sort: 'risk', errorCode: CODE, limit: 3, cursor });
			expect(p.total).toBe(8);
			seen.push(...p.items.map((i) => i.id));
			if (!p.next) break;
			cursor = p.next;
		}
		expect(seen).toEqual(all.items.map((i) => i.id));
		expect(new Set(seen).size).toBe(8);
		// a cursor is bound to its sort
		await expect(listExceptions({ view: 'all', sort: 'lastSeen', errorCode: CODE, limit: 3, cursor: (await listExceptions({ view: 'all', sort: 'risk', errorCode: CODE, limit: 3 })).next! })).rejects.toMatchObject({ status: 400 });
		// the API hands out the same cursor
		const r = await viewer.client.fetch(`/api/v1/exceptions?view=all&sort=risk&errorCode=${CODE}&limit=3`);
		expect(r.status).toBe(200);
		const body = await r.json();
		expect(body.total).toBe(8);
		expect(body.next).toEqual(expect.any(String));
		const r2 = await viewer.client.fetch(`/api/v1/exceptions?view=all&sort=risk&errorCode=${CODE}&limit=3&cursor=${body.next}`);
		expect((await r2.json()).items.map((i: { id: string }) => i.id)).toEqual(seen.slice(3, 6));
		expect((await viewer.client.fetch(`/api/v1/exceptions?cursor=garbage`)).status).toBe(400);
	});

	it('exports the whole filter, not one page, as CSV and JSON (any signed-in role; not anonymous)', async () => {
		const csv = await viewer.client.fetch(`/api/v1/exceptions/export?format=csv&view=all&sort=risk&errorCode=${CODE}&limit=2`);
		expect(csv.status).toBe(200);
		expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
		expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="exceptions-.*\.csv"/);
		const lines = (await csv.text()).trimEnd().split('\r\n');
		expect(lines[0]).toBe('id,state,flow,step,businessKey,messageId,entityType,entityId,partner,source,target,errorClass,errorCode,errorMessage,amount,currency,attempts,deadLetters,firstSeen,lastSeen,owner,runbookId');
		expect(lines).toHaveLength(9);
		expect(lines[1]).toMatch(new RegExp(`^${id(2)},quarantined,inventory-sync,erp.update-onhand,ADJ-${CODE}-2,`));
		expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(PLAN.map((_, i) => id(i)).sort());
		const json = await viewer.client.fetch(`/api/v1/exceptions/export?format=json&errorCode=${CODE}&view=attention`);
		const doc = await json.json();
		expect(doc.total).toBe(4);
		expect(doc.items.map((i: { id: string }) => i.id).sort()).toEqual([id(3), id(5), id(6), id(7)].sort());
		expect(doc.items[0]).toMatchObject({ flow: 'inventory-sync', errorCode: CODE });
		expect((await new Client(app.url).fetch(`/api/v1/exceptions/export?format=csv`)).status).toBe(401);
		expect((await viewer.client.fetch(`/api/v1/exceptions/export?format=xml`)).status).toBe(400);
	});

	it('plans a bulk action over everything the filter matches: how many, duplicates, already delivered', async () => {
		const plan = async () => {
			const r = await operator.client.fetch('/api/v1/exceptions/bulk', { json: { filter: { errorCode: CODE, view: 'all', limit: '2' }, action: 'retry', dryRun: true } });
			expect(r.status).toBe(200);
			return r.json();
		};
		const before = await plan();
		expect(before).toMatchObject({ action: 'retry', total: 8, willSend: 3, alreadyDelivered: 0 });
		expect(before.eligible.sort()).toEqual([id(5), id(6), id(7)].sort());
		expect(before.duplicates.map((d: { id: string }) => d.id)).toEqual([id(0)]);
		expect(before.invalid.map((d: { id: string }) => d.id).sort()).toEqual([id(1), id(2), id(3), id(4)].sort());
		// one retry goes out and is delivered: the next plan says so
		const r = await performAction(id(5), { action: 'retry' }, { email: operator.email, role: 'operator' as const });
		await r.delivery;
		expect(rx.requests).toHaveLength(1);
		const after = await plan();
		expect(after).toMatchObject({ total: 8, alreadyDelivered: 1 });
		expect(after.eligible.sort()).toEqual([id(6), id(7)].sort());
		// a viewer may not plan actions; ids and filter are exclusive
		expect((await viewer.client.fetch('/api/v1/exceptions/bulk', { json: { filter: { errorCode: CODE }, action: 'retry' } })).status).toBe(403);
		expect((await operator.client.fetch('/api/v1/exceptions/bulk', { json: { filter: { errorCode: CODE }, ids: [id(6)], action: 'retry' } })).status).toBe(400);
	});
});
