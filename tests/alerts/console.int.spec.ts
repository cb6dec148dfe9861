/**
 * Alerts in the console, on the real engine (chDB) and a real HTTP receiver on 127.0.0.1:
 * acknowledgements and silences hold notifications back for their period and then let them
 * through; rule edits are validated with every problem listed; each channel kind gets its body
 * shape, and the generic webhook a valid Standard Webhooks signature.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { runRound } from '../../src/lib/server/alerts/engine';
import { acknowledge, silence, unsilence } from '../../src/lib/server/alerts/actions';
import { createChannel, listChannels, sendTestNotice, updateChannel } from '../../src/lib/server/alerts/channels';
import { saveRuleSetting, validateRuleSetting } from '../../src/lib/server/alerts/settings';
import { alertActivity, alertBoard } from '../../src/lib/server/alerts/board';
import { deliveries, history } from '../../src/lib/server/alerts/store';
import { verify } from '../../src/lib/server/webhooks/signing';
import { setCatalogue } from '../../src/lib/server/flows/catalogue';
import { setConfig } from '../../src/lib/server/config';
import { sql } from '../../src/lib/server/db';
import { testDb, type TestDb } from '../helpers/db';
import { FLOW, testCatalogue } from '../sla/scenario';

interface Received {
	path: string;
	headers: Record<string, string>;
	body: string;
}

const MIN = 60_000;
const RULE = 'breach:deadLettersPerHour';
const admin = { email: 'admin@example.com', role: 'admin' };
const operator = { email: 'op@example.com', role: 'operator' };

describe('alerts in the console', () => {
	let t: TestDb;
	let server: Server;
	let base = '';
	const received: Received[] = [];
	const T = new Date(Math.floor(Date.now() / MIN) * MIN);
	const at = (minutes: number) => new Date(T.getTime() + minutes * MIN);
	let webhookSecret = '';

	const deadLetters = async (...minutes: number[]) =>
		t.db.insertRows(
			'otel_logs',
			minutes.map((m, i) => ({
				Timestamp: `${Math.floor(at(m).getTime() / 1000)}.000000000`,
				EventName: 'integration.dead_letter',
				LogAttributes: { 'integration.flow': FLOW, 'integration.step': 'erp.create-sales-order', 'integration.message_id': `m${m}-${i}` }
			}))
		);
	const sentTo = (path: string) => received.filter((r) => r.path === path);

	beforeAll(async () => {
		server = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body });
				res.writeHead(req.url === '/broken' ? 500 : 200).end();
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as { port: number }).port;
		base = `http://127.0.0.1:${port}`;
		t = await testDb({ alertRenotifyMinutes: 5, origin: 'https://syncscope.example.com' });
		setCatalogue(testCatalogue);
		// a private target is refused until allow-listed: first without, then with the receiver
		await expect(createChannel({ name: 'Ops', kind: 'webhook', url: `${base}/hook` }, admin, t.db)).rejects.toThrow(/loopback|special-purpose/);
		setConfig({ ...t.config, actionAllowlist: [`127.0.0.1:${port}`] });
	});
	afterAll(async () => {
		server?.close();
		await t?.cleanup();
	});

	it('validates channels and keeps their URLs sealed', async () => {
		const bad = await createChannel({ name: ' ', kind: 'pager', url: 'not a url', flows: ['nope'] }, admin, t.db).catch((e) => e);
		expect(bad).toBeInstanceOf(ZodError);
		const messages = (bad as ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' | ');
		for (const m of ['name: is required', 'kind: must be slack, teams or webhook', 'url: must be a URL', 'flows: no flow nope']) expect(messages).toContain(m);
		const slack = await createChannel({ name: 'Slack #ops', kind: 'slack', url: `${base}/slack/T000/B000/XXXXsecrettoken`, flows: [FLOW] }, admin, t.db);
		expect(slack.secret).toBeUndefined();
		expect(slack.channel.urlHint).toBe(`${base}/…oken`);
		await createChannel({ name: 'Teams ops', kind: 'teams', url: `${base}/teams` }, admin, t.db);
		const hook = await createChannel({ name: 'Pager bridge', kind: 'webhook', url: `${base}/hook` }, admin, t.db);
		webhookSecret = hook.secret!;
		expect(webhookSecret).toMatch(/^whsec_/);
		const rows = await t.db.query(sql`SELECT * FROM alert_channels`);
		expect(rows).toHaveLength(3);
		const stored = JSON.stringify(rows);
		expect(stored).not.toContain('secrettoken');
		expect(stored).not.toContain(webhookSecret.slice(6));
	});

	it('lists every problem of a rule edit at once', async () => {
		const channels = await listChannels(t.db);
		const slack = channels.find((c) => c.kind === 'slack')!;
		const otherOnly = await createChannel({ name: 'Other flow only', kind: 'slack', url: `${base}/other`, flows: ['other-flow'] }, admin, t.db);
		const all = [...channels, otherOnly.channel];
		const e1 = (() => {
			try {
				validateRuleSetting(FLOW, RULE, { enabled: 'yes', threshold: 3, channels: ['missing', otherOnly.channel.id], extra: 1 }, all);
			} catch (e) {
				return e as ZodError;
			}
		})()!;
		const m1 = e1.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
		expect(m1).toEqual(
			expect.arrayContaining([
				'enabled: must be true or false',
				expect.stringMatching(/^: Unrecognized key.*extra/),
				expect.stringMatching(/^threshold: breach:deadLettersPerHour uses the flow's objective/),
				'channels.0: no channel missing',
				expect.stringMatching(/^channels.1: channel Other flow only does not cover flow o2c-test/)
			])
		);
		expect(m1).toHaveLength(5);
		const e2 = (() => {
			try {
				validateRuleSetting(FLOW, 'burn-rate', { enabled: true, threshold: 0.5 }, all);
			} catch (e) {
				return e as ZodError;
			}
		})()!;
		expect(e2.issues.map((i) => i.message)).toEqual(['must be above 1 and at most 1000 (× the sustainable error-budget rate (above 1))']);
		expect(() => validateRuleSetting(FLOW, 'no-such-rule', { enabled: true }, all)).toThrow(/has no alert rule/);
		expect(validateRuleSetting(FLOW, 'burn-rate', { enabled: true, threshold: 6, channels: [slack.id] }, all)).toEqual({ enabled: true, threshold: 6, channels: [slack.id] });
		await updateChannel(otherOnly.channel.id, {}, admin, t.db, { deleted: true });
		// only the dead-letter breach takes part in the rounds below
		await saveRuleSetting(FLOW, 'dlq-growth', { enabled: false }, await listChannels(t.db), admin, t.db);
	});

	it('notifies each channel kind with its body; the generic webhook is signed', async () => {
		await deadLetters(-2, -3);
		const r = await runRound(T, t.db);
		expect(r.events.map((e) => [e.rule, e.event, e.suppressed])).toEqual([[RULE, 'firing', '']]);
		const [slack] = sentTo('/slack/T000/B000/XXXXsecrettoken').map((x) => JSON.parse(x.body));
		expect(slack.text).toMatch(/^:rotating_light: Firing: Order to cash \(test\): Dead letters \/ hour above objective/);
		expect(slack.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
		const [teams] = sentTo('/teams').map((x) => JSON.parse(x.body));
		expect(teams.type).toBe('message');
		expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
		expect(teams.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
		expect(teams.attachments[0].content.body[2].facts).toContainEqual({ title: 'Rule', value: RULE });
		expect(teams.attachments[0].content.actions[0].url).toBe(`https://syncscope.example.com/sla/${FLOW}`);
		const [hook] = sentTo('/hook');
		const ts = Number(hook.headers['webhook-timestamp']) * 1000;
		expect(verify(webhookSecret, hook.headers, hook.body, 300, ts)).toBe(true);
		expect(verify(webhookSecret, hook.headers, hook.body.replace('firing', 'resolved'), 300, ts)).toBe(false);
		expect(JSON.parse(hook.body)).toMatchObject({ type: 'syncscope.alert.firing', data: { alertKey: `${FLOW}/${RULE}`, flow: FLOW, rule: RULE, status: 'firing', value: 2, threshold: 1 } });
		// Slack and Teams authenticate by their URL: no signature sent to them
		expect(sentTo('/teams')[0].headers['webhook-signature']).toBeUndefined();
		const d = await deliveries({}, t.db);
		expect(d.map((x) => [x.channelName, x.outcome, x.status]).sort()).toEqual([['Pager bridge', 'delivered', 200], ['Slack #ops', 'delivered', 200], ['Teams ops', 'delivered', 200]]);
	});

	it('a silence holds notifications for its period, then a still-firing alert notifies again', async () => {
		const n = () => received.length;
		await silence(FLOW, RULE, { minutes: 10, comment: 'deploying the ERP adapter' }, operator, at(1), t.db);
		let before = n();
		const r2 = await runRound(at(6), t.db);
		expect(r2.events.map((e) => [e.event, e.suppressed])).toEqual([['renotify', expect.stringMatching(/^silenced until .* by op@example.com$/)]]);
		expect(n()).toBe(before);
		expect((await runRound(at(9), t.db)).events).toEqual([]);
		// ending the silence early: the next round tells, although the re-notify interval has not passed
		await unsilence(FLOW, RULE, {}, operator, at(9.5), t.db);
		before = n();
		const r4 = await runRound(at(10), t.db);
		expect(r4.events.map((e) => [e.event, e.suppressed])).toEqual([['renotify', '']]);
		expect(n()).toBe(before + 3);
		// a silence that runs out by itself
		await silence(FLOW, RULE, { minutes: 5 }, operator, at(11), t.db);
		before = n();
		expect((await runRound(at(15), t.db)).events.map((e) => e.suppressed)).toEqual([expect.stringMatching(/^silenced until/)]);
		expect(n()).toBe(before);
		const r6 = await runRound(at(17), t.db);
		expect(r6.events.map((e) => [e.event, e.suppressed])).toEqual([['renotify', '']]);
		expect(n()).toBe(before + 3);
	});

	it('an acknowledgement stops re-notifications of its episode only; the resolution and the next episode are sent', async () => {
		await acknowledge(FLOW, RULE, { comment: 'on it' }, operator, at(17.5), t.db);
		const board = await alertBoard(at(18), t.db);
		expect(board.find((a) => a.alertKey === `${FLOW}/${RULE}`)!.state.acknowledged).toMatchObject({ by: 'op@example.com', comment: 'on it' });
		let before = received.length;
		expect((await runRound(at(23), t.db)).events.map((e) => [e.event, e.suppressed])).toEqual([['renotify', 'acknowledged by op@example.com']]);
		expect(received.length).toBe(before);
		const resolved = await runRound(at(120), t.db);
		expect(resolved.events.map((e) => [e.event, e.suppressed])).toEqual([['resolved', '']]);
		expect(received.length).toBe(before + 3);
		await expect(acknowledge(FLOW, RULE, {}, operator, at(121), t.db)).rejects.toThrow(/not firing/);
		await deadLetters(121, 122);
		before = received.length;
		const again = await runRound(at(123), t.db);
		expect(again.events.map((e) => [e.event, e.suppressed])).toEqual([['firing', '']]);
		expect(received.length).toBe(before + 3);
	});

	it('routes a rule to the channels it names, and a disabled rule resolves without notifying', async () => {
		const slack = (await listChannels(t.db)).find((c) => c.kind === 'slack')!;
		await saveRuleSetting(FLOW, RULE, { enabled: true, channels: [slack.id] }, await listChannels(t.db), admin, t.db);
		let before = received.length;
		expect((await runRound(at(129), t.db)).events.map((e) => e.event)).toEqual(['renotify']);
		expect(received.slice(before).map((x) => x.path)).toEqual(['/slack/T000/B000/XXXXsecrettoken']);
		await saveRuleSetting(FLOW, RULE, { enabled: false }, await listChannels(t.db), admin, t.db);
		before = received.length;
		const off = await runRound(at(130), t.db);
		expect(off.events.map((e) => [e.event, e.suppressed])).toEqual([['resolved', 'rule disabled by admin@example.com']]);
		expect(received.length).toBe(before);
		expect((await runRound(at(131), t.db)).events).toEqual([]);
	});

	it('keeps the history: events, deliveries and who did what', async () => {
		const h = await history({ flow: FLOW }, t.db);
		expect(h.filter((e) => e.suppressed).length).toBe(4);
		const broken = await createChannel({ name: 'Broken', kind: 'webhook', url: `${base}/broken` }, admin, t.db);
		const test = await sendTestNotice(broken.channel.id, admin, t.db);
		expect(test).toMatchObject({ outcome: 'failed', status: 500, attempts: 3, event: 'test' });
		const activity = await alertActivity();
		const actions = activity.map((a) => `${a.action} ${a.actor}`);
		for (const a of ['alert_silence op@example.com', 'alert_unsilence op@example.com', 'alert_acknowledge op@example.com', 'alert_rule_update admin@example.com', 'alert_channel_create admin@example.com', 'alert_channel_delete admin@example.com'])
			expect(actions).toContain(a);
		expect(JSON.stringify(activity)).not.toContain('secrettoken');
		const rule = activity.find((a) => a.action === 'alert_rule_update' && a.subjectId === `${FLOW}/${RULE}`)!;
		expect(rule.data).toMatchObject({ after: { enabled: false } });
	});
});
