/**
 * Notification channels configured in the console (admins): Slack-compatible incoming webhooks,
 * Microsoft Teams workflow webhooks (Adaptive Card), and generic webhooks signed per Standard
 * Webhooks. A webhook URL is itself a credential (Slack's and Teams' URLs carry the token), so URL
 * and signing secret are stored sealed (actions/secret-box.ts) and the console shows a hint only.
 * Every target passes the SSRF guard at save and again at send (webhooks/). Every change is audited.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../audit/log';
import { db, sql, type Db } from '../db';
import { allowlist } from '../actions/endpoints';
import { open, seal } from '../actions/secret-box';
import { ActionError } from '../exceptions/errors';
import { catalogue } from '../flows/catalogue';
import { newSecret } from '../webhooks/signing';
import { checkTarget } from '../webhooks/ssrf';
import { config } from '../config';
import { deliverToChannels } from './notify';
import { recordDeliveries, type Delivery } from './store';

type Actor = { email: string; role: string };

export const CHANNEL_KINDS = ['slack', 'teams', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface Channel {
	id: string;
	name: string;
	kind: ChannelKind;
	/** scheme, host and the end of the path: enough to recognise, not enough to post */
	urlHint: string;
	flows: string[];
	enabled: boolean;
	updatedBy: string;
	updatedAt: string;
}

const flowsField = z
	.array(z.string().min(1), { message: 'must be a list of flow ids' })
	.default([])
	.superRefine((ids, ctx) => {
		const known = new Set(catalogue().flows.map((f) => f.id));
		for (const id of ids) if (!known.has(id)) ctx.addIssue({ code: 'custom', message: `no flow ${id}` });
	});

export const channelInput = z
	.object({
		name: z.string({ message: 'is required' }).trim().min(1, 'is required').max(100, 'has at most 100 characters'),
		kind: z.enum(CHANNEL_KINDS, { message: 'must be slack, teams or webhook' }),
		url: z.string({ message: 'is required' }).trim().url('must be a URL like https://hooks.example.com/…').max(2000, 'has at most 2000 characters'),
		flows: flowsField,
		/** webhook kind only: a Standard Webhooks secret; generated when missing */
		secret: z
			.string()
			.regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be a Standard Webhooks secret: whsec_ + base64 of at least 24 bytes')
			.optional()
	})
	.strict()
	.superRefine((v, ctx) => {
		if (v.secret && v.kind !== 'webhook') ctx.addIssue({ code: 'custom', path: ['secret'], message: 'only a generic webhook channel is signed with a secret' });
	});
export type ChannelInput = z.input<typeof channelInput>;

export const channelPatch = z
	.object({
		name: z.string().trim().min(1, 'is required').max(100, 'has at most 100 characters').optional(),
		url: z.string().trim().url('must be a URL like https://hooks.example.com/…').max(2000).optional(),
		flows: flowsField.optional(),
		enabled: z.boolean({ message: 'must be true or false' }).optional()
	})
	.strict();

interface Row {
	Id: string;
	Version: number;
	Name: string;
	Kind: ChannelKind;
	UrlEnc: string;
	UrlHint: string;
	SecretEnc: string;
	Flows: string[];
	Enabled: number;
	Deleted: number;
	UpdatedBy: string;
	UpdatedAt: string;
}

const toChannel = (r: Row): Channel => ({ id: r.Id, name: r.Name, kind: r.Kind, urlHint: r.UrlHint, flows: r.Flows, enabled: r.Enabled === 1, updatedBy: r.UpdatedBy, updatedAt: r.UpdatedAt });
const nowText = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

/** "https://hooks.slack.com/…Xy12": never the token part of the URL. */
export function urlHint(raw: string): string {
	const u = new URL(raw);
	const tail = (u.pathname + u.search).replace(/\/$/, '');
	return `${u.protocol}//${u.host}/…${tail.length > 4 ? tail.slice(-4) : ''}`;
}

async function rows(d: Db, id?: string): Promise<Row[]> {
	const where = id ? sql`WHERE Id = ${{ String: id }}` : sql``;
	return d.query<Row>(sql`
		SELECT Id, Version, Name, Kind, UrlEnc, UrlHint, SecretEnc, Flows, Enabled, Deleted, UpdatedBy,
			formatDateTime(UpdatedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS UpdatedAt
		FROM alert_channels FINAL ${where} ORDER BY Name`);
}

export async function listChannels(d: Db = db()): Promise<Channel[]> {
	return (await rows(d)).filter((r) => !r.Deleted).map(toChannel);
}

export async function getChannel(id: string, d: Db = db()): Promise<Channel | null> {
	const r = (await rows(d, id))[0];
	return r && !r.Deleted ? toChannel(r) : null;
}

/** Enabled channels with their plain URL and secret, for sending only. */
export async function channelsForSending(d: Db = db()): Promise<(Channel & { url: string; secret?: string })[]> {
	return (await rows(d))
		.filter((r) => !r.Deleted && r.Enabled === 1)
		.map((r) => ({ ...toChannel(r), url: open(r.UrlEnc), secret: r.SecretEnc ? open(r.SecretEnc) : undefined }));
}

/** Create a channel after validation and the SSRF check; a webhook channel's secret is returned once. */
export async function createChannel(input: unknown, by: Actor, d: Db = db()): Promise<{ channel: Channel; secret?: string }> {
	const v = channelInput.parse(input);
	await checkTarget(v.url, await allowlist());
	const secret = v.kind === 'webhook' ? (v.secret ?? newSecret()) : undefined;
	const row: Row = {
		Id: randomUUID(), Version: Date.now(), Name: v.name, Kind: v.kind, UrlEnc: seal(v.url), UrlHint: urlHint(v.url), SecretEnc: secret ? seal(secret) : '',
		Flows: v.flows, Enabled: 1, Deleted: 0, UpdatedBy: by.email, UpdatedAt: nowText()
	};
	await appendAudit(async () => ({
		actor: by.email, role: by.role, action: 'alert_channel_create', subjectType: 'alert_channel', subjectId: row.Id, result: 'ok',
		data: { name: v.name, kind: v.kind, url: row.UrlHint, flows: v.flows }
	}));
	await d.insertRows('alert_channels', [{ ...row }]);
	return { channel: toChannel({ ...row, UpdatedAt: new Date().toISOString() }), secret };
}

/** Change (or delete) a channel; a new URL passes the SSRF check again. Audited with the URL hint only. */
export async function updateChannel(id: string, patch: unknown, by: Actor, d: Db = db(), opts: { deleted?: boolean } = {}): Promise<Channel> {
	const cur = (await rows(d, id))[0];
	if (!cur || cur.Deleted) throw new ActionError(404, `no channel ${id}`);
	const p = channelPatch.parse(patch ?? {});
	if (p.url !== undefined) await checkTarget(p.url, await allowlist());
	const next: Row = {
		...cur,
		Version: Math.max(Date.now(), Number(cur.Version) + 1),
		Name: p.name ?? cur.Name,
		UrlEnc: p.url !== undefined ? seal(p.url) : cur.UrlEnc,
		UrlHint: p.url !== undefined ? urlHint(p.url) : cur.UrlHint,
		Flows: p.flows ?? cur.Flows,
		Enabled: p.enabled === undefined ? cur.Enabled : p.enabled ? 1 : 0,
		Deleted: opts.deleted ? 1 : 0,
		UpdatedBy: by.email,
		UpdatedAt: nowText()
	};
	const changed = { ...p, ...(p.url !== undefined ? { url: next.UrlHint } : {}) };
	await appendAudit(async () => ({
		actor: by.email, role: by.role, action: opts.deleted ? 'alert_channel_delete' : 'alert_channel_update', subjectType: 'alert_channel', subjectId: id, result: 'ok',
		data: { name: next.Name, ...changed }
	}));
	await d.insertRows('alert_channels', [{ ...next }]);
	return toChannel({ ...next, UpdatedAt: new Date().toISOString() });
}

/** Send a test notice to one channel now (enabled or not) and keep its delivery in the history. */
export async function sendTestNotice(id: string, by: Actor, d: Db = db()): Promise<Delivery> {
	const r = (await rows(d, id))[0];
	if (!r || r.Deleted) throw new ActionError(404, `no channel ${id}`);
	const now = new Date();
	const flow = r.Flows[0] ?? catalogue().flows[0]?.id ?? 'test';
	const notice = {
		alertKey: 'test', rule: 'test', flow, kind: 'test', status: 'firing' as const, event: 'test' as const, value: 0, threshold: 0,
		summary: `Test notification from Syncscope to channel ${r.Name}, sent by ${by.email}`, startedAt: now.toISOString(), at: now.toISOString()
	};
	const channel = { ...toChannel(r), url: open(r.UrlEnc), secret: r.SecretEnc ? open(r.SecretEnc) : undefined };
	const [delivery] = await deliverToChannels(notice, [channel], { origin: config().origin, now });
	await recordDeliveries([delivery], d);
	return delivery;
}
