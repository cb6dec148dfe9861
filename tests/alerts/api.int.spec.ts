/**
 * The alerts API and console actions on the built console (real HTTP, real chDB): who may read,
 * acknowledge, silence, edit rules and configure channels, checked by the server for every role;
 * bad input answers 400 listing every problem; a channel test reaches a 127.0.0.1 receiver signed.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRound } from '../../src/lib/server/alerts/engine';
import { setConfig } from '../../src/lib/server/config';
import { catalogue } from '../../src/lib/server/flows/catalogue';
import { verify } from '../../src/lib/server/webhooks/signing';
import { testApp, userWithRole, type Client, type TestApp } from '../helpers/app';

const RULE = 'breach:deadLettersPerHour';

describe('alerts API: roles, validation, channels', () => {
	let app: TestApp;
	let server: Server;
	let port = 0;
	const received: { path: string; headers: Record<string, string>; body: string }[] = [];
	const as: Record<'viewer' | 'operator' | 'approver' | 'admin', Client> = {} as never;
	let flow = '';

	beforeAll(async () => {
		server = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body });
				res.writeHead(204).end();
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		port = (server.address() as { port: number }).port;
		app = await testApp();
		setConfig({ ...app.config, actionAllowlist: [`127.0.0.1:${port}`] });
		for (const role of ['viewer', 'operator', 'approver', 'admin'] as const) as[role] = (await userWithRole(app, role)).client;
		const f = catalogue().flows.find((x) => x.objectives.deadLettersPerHour !== undefined)!;
		flow = f.id;
		// more dead letters in the last minutes than the flow's hourly objective: its breach fires
		const now = Date.now();
		const n = Math.floor(f.objectives.deadLettersPerHour!) + 2;
		await app.db.insertRows(
			'otel_logs',
			Array.from({ length: n }, (_, i) => i + 2).map((m) => ({
				Timestamp: `${Math.floor((now - m * 60_000) / 1000)}.000000000`,
				EventName: 'integration.dead_letter',
				LogAttributes: { 'integration.flow': flow, 'integration.step': 's', 'integration.message_id': `api-${m}` }
			}))
		);
		const r = await runRound(new Date(now), app.db);
		expect(r.events.map((e) => e.rule)).toContain(RULE);
	}, 120_000);
	afterAll(async () => {
		server?.close();
		await app?.close();
	});

	const key = () => `/api/v1/alerts/rules/${encodeURIComponent(flow)}/${encodeURIComponent(RULE)}`;

	it('every role reads alerts and history; only admins read channels', async () => {
		for (const c of Object.values(as)) {
			expect((await c.fetch('/api/v1/alerts')).status).toBe(200);
			expect((await c.fetch('/api/v1/alerts/history')).status).toBe(200);
			expect((await c.fetch('/alerts')).status).toBe(200);
			expect((await c.fetch('/alerts/rules')).status).toBe(200);
		}
		const items = (await (await as.viewer.fetch('/api/v1/alerts')).json()).items as { alertKey: string; firing: boolean }[];
		expect(items.find((a) => a.alertKey === `${flow}/${RULE}`)?.firing).toBe(true);
		for (const role of ['viewer', 'operator', 'approver'] as const) {
			expect((await as[role].fetch('/api/v1/alerts/channels')).status).toBe(403);
			expect((await as[role].fetch('/alerts/channels')).status).toBe(403);
		}
		expect((await as.admin.fetch('/api/v1/alerts/channels')).status).toBe(200);
		expect((await new (as.viewer.constructor as new (b: string) => Client)(app.url).fetch('/api/v1/alerts')).status).toBe(401);
	});

	it('a viewer may not acknowledge or silence (API and console form); an operator may', async () => {
		expect((await as.viewer.fetch(`${key()}/acknowledge`, { json: {} })).status).toBe(403);
		expect((await as.viewer.fetch(`${key()}/silence`, { json: { minutes: 30 } })).status).toBe(403);
		expect((await as.viewer.fetch('/alerts?/silence', { form: { flow, rule: RULE, minutes: '30' } })).status).toBe(403);
		const bad = await as.operator.fetch(`${key()}/silence`, { json: { minutes: 0, comment: 'x'.repeat(1001), extra: true } });
		expect(bad.status).toBe(400);
		expect((await bad.json()).issues).toHaveLength(3);
		const ack = await as.operator.fetch(`${key()}/acknowledge`, { json: { comment: 'looking' } });
		expect(ack.status).toBe(201);
		expect(await ack.json()).toMatchObject({ action: 'acknowledge', comment: 'looking', role: 'operator' });
		const form = await as.approver.fetch('/alerts?/silence', { form: { flow, rule: RULE, minutes: '60', comment: 'maintenance' } });
		expect([200, 303]).toContain(form.status);
		const items = (await (await as.viewer.fetch('/api/v1/alerts')).json()).items as { alertKey: string; state: { acknowledged?: { by: string }; silenced?: { until: string } } }[];
		const a = items.find((x) => x.alertKey === `${flow}/${RULE}`)!;
		expect(a.state.acknowledged?.by).toMatch(/^operator-/);
		expect(Date.parse(a.state.silenced!.until) - Date.now()).toBeGreaterThan(58 * 60_000);
		expect((await as.operator.fetch(`${key()}/silence`, { method: 'DELETE' })).status).toBe(200);
		expect((await as.operator.fetch(`${key()}/silence`, { method: 'DELETE' })).status).toBe(409);
		expect((await as.operator.fetch(`/api/v1/alerts/rules/${flow}/no-such-rule/acknowledge`, { json: {} })).status).toBe(404);
	});

	it('only admins edit rules; a bad edit lists every problem', async () => {
		for (const role of ['viewer', 'operator', 'approver'] as const) {
			expect((await as[role].fetch(key(), { method: 'PUT', json: { enabled: false } })).status).toBe(403);
			expect((await as[role].fetch('/alerts/rules?/save', { form: { flow, rule: RULE } })).status).toBe(403);
		}
		const bad = await as.admin.fetch(`/api/v1/alerts/rules/${encodeURIComponent(flow)}/burn-rate`, { method: 'PUT', json: { enabled: 'no', threshold: 0.2, channels: ['nope'] } });
		expect(bad.status).toBe(400);
		const body = await bad.json();
		expect(body.issues).toEqual([expect.stringMatching(/^enabled: /), expect.stringMatching(/^threshold: must be above 1/), 'channels.0: no channel nope']);
		const ok = await as.admin.fetch(`/api/v1/alerts/rules/${encodeURIComponent(flow)}/burn-rate`, { method: 'PUT', json: { enabled: true, threshold: 6 } });
		expect(ok.status).toBe(200);
		expect(await ok.json()).toMatchObject({ flow, rule: 'burn-rate', enabled: true, threshold: 6, channels: [] });
		const items = (await (await as.viewer.fetch('/api/v1/alerts')).json()).items as { alertKey: string; threshold: number }[];
		expect(items.find((x) => x.alertKey === `${flow}/burn-rate`)?.threshold).toBe(6);
	});

	it('only admins configure channels; the generic webhook test is signed and SSRF-guarded', async () => {
		const input = { name: 'Bridge', kind: 'webhook', url: `http://127.0.0.1:${port}/bridge` };
		for (const role of ['viewer', 'operator', 'approver'] as const) expect((await as[role].fetch('/api/v1/alerts/channels', { json: input })).status).toBe(403);
		const refused = await as.admin.fetch('/api/v1/alerts/channels', { json: { ...input, url: 'http://169.254.169.254/latest' } });
		expect(refused.status).toBe(400);
		expect((await refused.json()).message).toMatch(/target refused: .*link-local/);
		const created = await as.admin.fetch('/api/v1/alerts/channels', { json: input });
		expect(created.status).toBe(201);
		const { channel, secret } = await created.json();
		expect(channel.urlHint).toBe(`http://127.0.0.1:${port}/…idge`);
		for (const role of ['viewer', 'operator', 'approver'] as const) {
			expect((await as[role].fetch(`/api/v1/alerts/channels/${channel.id}/test`, { json: {} })).status).toBe(403);
			expect((await as[role].fetch(`/api/v1/alerts/channels/${channel.id}`, { method: 'PATCH', json: { enabled: false } })).status).toBe(403);
			expect((await as[role].fetch(`/api/v1/alerts/channels/${channel.id}`, { method: 'DELETE' })).status).toBe(403);
		}
		const test = await as.admin.fetch(`/api/v1/alerts/channels/${channel.id}/test`, { json: {} });
		expect(await test.json()).toMatchObject({ outcome: 'delivered', status: 204, event: 'test', channelName: 'Bridge' });
		const got = received.find((r) => r.path === '/bridge')!;
		expect(verify(secret, got.headers, got.body, 300)).toBe(true);
		expect(JSON.parse(got.body).type).toBe('syncscope.alert.test');
		expect((await as.admin.fetch(`/api/v1/alerts/channels/${channel.id}`, { method: 'PATCH', json: { url: 'http://10.0.0.1/x' } })).status).toBe(400);
		expect((await as.admin.fetch(`/api/v1/alerts/channels/${channel.id}`, { method: 'DELETE' })).status).toBe(204);
		expect((await as.admin.fetch(`/api/v1/alerts/channels/${channel.id}`, { method: 'DELETE' })).status).toBe(404);
		const h = await (await as.viewer.fetch('/api/v1/alerts/history')).json();
		const acts = h.activity.map((a: { action: string }) => a.action);
		for (const a of ['alert_acknowledge', 'alert_silence', 'alert_unsilence', 'alert_rule_update', 'alert_channel_create', 'alert_channel_delete']) expect(acts).toContain(a);
		expect(h.deliveries[0]).toMatchObject({ channelName: 'Bridge', outcome: 'delivered' });
	});

	it('publishes the alerts API in the OpenAPI document', async () => {
		const doc = await (await as.viewer.fetch('/api/v1/openapi.json')).json();
		for (const p of ['/api/v1/alerts', '/api/v1/alerts/history', '/api/v1/alerts/rules/{flow}/{rule}', '/api/v1/alerts/rules/{flow}/{rule}/acknowledge', '/api/v1/alerts/rules/{flow}/{rule}/silence', '/api/v1/alerts/channels', '/api/v1/alerts/channels/{id}', '/api/v1/alerts/channels/{id}/test'])
			expect(doc.paths).toHaveProperty([p]);
	});
});
