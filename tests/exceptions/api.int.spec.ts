/** The exceptions API and form actions through the built console (hooks, auth, CSRF included). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, userWithRole, type TestApp, Client } from '../helpers/app';
import { setRunbookFiles } from '../../src/lib/server/runbooks/loader';
import { failMessage, type Msg } from './telemetry';
import { startReceiver, type Receiver } from './receiver';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { openApiDocument } from '../../src/lib/server/openapi';

let app: TestApp;
let rx: Receiver;
let secret = '';
let viewer: Client, operator: Client, approver: Client, admin: Client;
const m = (n: string): Msg => ({ flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: n, correlationId: `SO-${n}`, amount: 99_000, currency: 'EUR', errorClass: 'validation', errorCode: 'SHIPTO' });
const idOf = (n: string) => exceptionId('order-to-cash', n);

beforeAll(async () => {
	setRunbookFiles(undefined);
	rx = await startReceiver(() => secret);
	app = await testApp({ runbooksDir: 'runbooks', deliveryBackoffMs: 5, actionAllowlist: rx.hostPort as unknown as string[] });
	[viewer, operator, approver, admin] = (await Promise.all(['viewer', 'operator', 'approver', 'admin'].map((r) => userWithRole(app, r as 'viewer')))).map((u) => u.client);
	await failMessage(app.db, m('api-1'));
	await failMessage(app.db, m('api-2'));
});
afterAll(async () => {
	await rx?.close();
	await app?.close();
});

describe('action endpoints API', () => {
	it('only admins configure endpoints; private targets are refused with the reason', async () => {
		expect((await operator.fetch('/api/v1/action-endpoints', { json: { name: 'x', url: rx.url } })).status).toBe(403);
		const bad = await admin.fetch('/api/v1/action-endpoints', { json: { name: 'meta', url: 'http://169.254.169.254/latest' } });
		expect(bad.status).toBe(400);
		expect((await bad.json()).message).toMatch(/link-local/);
		const ok = await admin.fetch('/api/v1/action-endpoints', { json: { name: 'mw', url: rx.url } });
		expect(ok.status).toBe(201);
		({ secret } = await ok.json());
		expect(secret).toMatch(/^whsec_/);
		const list = await (await admin.fetch('/api/v1/action-endpoints')).json();
		expect(JSON.stringify(list)).not.toContain(secret);
	});
});

describe('exceptions API', () => {
	it('lists with the contract fields, filtered', async () => {
		const r = await viewer.fetch('/api/v1/exceptions?state=open&flow=order-to-cash&limit=10');
		expect(r.status).toBe(200);
		const body = await r.json();
		expect(body.total).toBe(2);
		expect(Object.keys(body.items[0])).toEqual(expect.arrayContaining(['id', 'flow', 'step', 'correlationId', 'errorClass', 'errorCode', 'amount', 'currency', 'state', 'attempts', 'firstSeen', 'lastSeen', 'owner']));
		expect(body.items[0]).toMatchObject({ owner: 'Integration team', amount: 99_000 });
		const bad = await viewer.fetch('/api/v1/exceptions?state=nonsense');
		expect(bad.status).toBe(400);
		expect((await bad.json()).message).toContain('state');
	});

	it('refuses a viewer (403), an invalid transition (409) and a bad body (400), with reasons', async () => {
		const v = await viewer.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'resolve', comment: 'x' } });
		expect(v.status).toBe(403);
		const t = await operator.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'release' } });
		expect(t.status).toBe(409);
		expect((await t.json()).error).toContain('quarantined');
		expect((await operator.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'explode' } })).status).toBe(400);
		expect((await operator.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'comment', comment: 'x' }, origin: 'https://evil.example' })).status).toBe(403);
	});

	it('operator requests and approver approves through the API; delivered once', async () => {
		const req = await operator.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'request_replay', comment: 'fixed' } });
		expect(await req.json()).toMatchObject({ state: 'replay_requested' });
		const self = await operator.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'approve_replay' } });
		expect(self.status).toBe(403);
		const appr = await approver.fetch(`/api/v1/exceptions/${idOf('api-1')}/actions`, { json: { action: 'approve_replay' } });
		expect(await appr.json()).toMatchObject({ state: 'replay_approved' });
		for (let i = 0; i < 200 && rx.processed.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
		expect(rx.processed).toHaveLength(1);
		expect(rx.badSignatures).toBe(0);
	});

	it('the detail page loads, and its form action reports a bad input and a refusal in words', async () => {
		// page HTML is checked in Playwright (the built app renders pages there); here the form action itself
		const dj = await operator.fetch(`/exceptions/${idOf('api-2')}/__data.json`);
		expect(dj.status).toBe(200);
		const data = await dj.text();
		expect(data).toContain('ERP refused the sales order');
		expect(data).toContain('request_replay');
		const noReason = await operator.fetch(`/exceptions/${idOf('api-2')}?/act`, { form: { action: 'discard', comment: '' }, headers: { accept: 'application/json', 'x-sveltekit-action': 'true' } });
		const body = await noReason.json();
		expect(body.type).toBe('failure');
		expect(body.status).toBe(400);
		expect(body.data).toContain('a reason is required to discard');
		const refused = await viewer.fetch(`/exceptions/${idOf('api-2')}?/act`, { form: { action: 'resolve', comment: 'x' }, headers: { accept: 'application/json', 'x-sveltekit-action': 'true' } });
		expect(refused.status).toBe(403);
		expect((await refused.json()).type).toBe('error');
	});

	it('bulk dry run counts what would be sent and flags messages that already succeeded', async () => {
		const r = await operator.fetch('/api/v1/exceptions/bulk', { json: { ids: [idOf('api-1'), idOf('api-2')], action: 'retry' } });
		const plan = await r.json();
		expect(plan.eligible).toEqual([idOf('api-2')]);
		expect(plan.willSend).toBe(1);
		expect(plan.invalid.concat(plan.duplicates).map((d: { id: string }) => d.id)).toEqual([idOf('api-1')]);
	});

	it('publishes the exceptions paths in the OpenAPI document', async () => {
		const doc = openApiDocument();
		expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/exceptions', '/api/v1/exceptions/{id}/actions', '/api/v1/action-endpoints']));
		const served = await (await viewer.fetch('/api/v1/openapi.json')).json();
		expect(served.paths['/api/v1/exceptions/{id}/actions'].post).toBeDefined();
	});
});

describe('runbook admin', () => {
	const action = (c: Client, path: string, yaml: string) =>
		c.fetch(path, { form: { yaml }, headers: { accept: 'application/json', 'x-sveltekit-action': 'true' } });

	it('only admins save; a bad runbook is refused with path and message; a good one is a new version', async () => {
		const yaml = `id: api-rb\ntitle: T\nowner: { team: Ops }\nallowedActions: [retry]\ninstructions: x\n`;
		expect((await action(operator, '/admin/runbooks?/create', yaml)).status).toBe(403);
		const bad = await (await action(admin, '/admin/runbooks?/create', yaml.replace('[retry]', '[fly]'))).json();
		expect(bad.type).toBe('failure');
		expect(bad.data).toContain('allowedActions.0');
		const ok = await (await action(admin, '/admin/runbooks?/create', yaml)).json();
		expect(ok).toMatchObject({ type: 'redirect', location: '/admin/runbooks/api-rb' });
		const saved = await (await action(admin, '/admin/runbooks/api-rb?/save', yaml.replace('team: Ops', 'team: Night ops'))).json();
		expect(saved.type).toBe('success');
		expect(saved.data).toContain('2');
	});
});

