/**
 * Alert notifications: a Standard Webhooks POST per configured webhook (SYNCSCOPE_ALERT_WEBHOOKS) and
 * per console channel (channels.ts), sent by the one webhook sender (webhooks/sender.ts: SSRF guard
 * with the action allow-list, retries), with the body the receiver understands: the Syncscope event
 * (generic webhooks, signed), a Slack-compatible message ({ text, blocks }), or a Microsoft Teams
 * workflow message carrying an Adaptive Card.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { logger } from '../log';
import { allowlist } from '../actions/endpoints';
import { webhookHeaders } from '../webhooks/signing';
import { sendWebhook } from '../webhooks/sender';
import type { Channel } from './channels';
import type { AlertEvent, Delivery } from './store';

type Webhook = Config['alertWebhooks'][number];

/** What a body needs of an alert event; event 'test' is the admin's "send a test" button. */
export type Notice = Omit<AlertEvent, 'event' | 'delivered'> & { event: AlertEvent['event'] | 'test' };

const verbOf = (e: Notice) => (e.event === 'test' ? 'Test' : e.status === 'resolved' ? 'Resolved' : e.event === 'renotify' ? 'Still firing' : 'Firing');
const dashboard = (e: Notice, origin?: string) => (origin ? `${origin}/sla/${encodeURIComponent(e.flow)}` : undefined);

export function standardBody(e: Notice, now: Date, consoleOrigin?: string) {
	return {
		type: `syncscope.alert.${e.event}`,
		timestamp: now.toISOString(),
		data: {
			alertKey: e.alertKey, rule: e.rule, flow: e.flow, kind: e.kind, status: e.status,
			value: e.value, threshold: e.threshold, summary: e.summary, startedAt: e.startedAt,
			url: dashboard(e, consoleOrigin)
		}
	};
}

export function slackBody(e: Notice, consoleOrigin?: string) {
	const icon = e.event === 'test' ? ':information_source:' : e.status === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
	const verb = verbOf(e);
	const link = consoleOrigin ? ` <${consoleOrigin}/sla/${encodeURIComponent(e.flow)}|Open dashboard>` : '';
	const text = `${icon} ${verb}: ${e.summary} (value ${round(e.value)}, objective ${round(e.threshold)})${link}`;
	return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * A Microsoft Teams message for a Workflows "When a Teams webhook request is received" flow (the
 * successor of Office 365 connectors): a message with one Adaptive Card attachment
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-reference#adaptive-card).
 */
export function teamsBody(e: Notice, consoleOrigin?: string) {
	const url = dashboard(e, consoleOrigin);
	return {
		type: 'message',
		attachments: [
			{
				contentType: 'application/vnd.microsoft.card.adaptive',
				contentUrl: null,
				content: {
					$schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
					type: 'AdaptiveCard',
					version: '1.4',
					body: [
						{ type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, color: e.event === 'test' ? 'Accent' : e.status === 'resolved' ? 'Good' : 'Attention', text: `${verbOf(e)}: ${e.flow} · ${e.rule}` },
						{ type: 'TextBlock', wrap: true, text: e.summary },
						{
							type: 'FactSet',
							facts: [
								{ title: 'Flow', value: e.flow },
								{ title: 'Rule', value: e.rule },
								{ title: 'Value', value: round(e.value) },
								{ title: 'Threshold', value: round(e.threshold) },
								{ title: 'Since (UTC)', value: e.startedAt.slice(0, 16).replace('T', ' ') }
							]
						}
					],
					...(url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open dashboard', url }] } : {})
				}
			}
		]
	};
}

/** The body a channel of this kind expects. */
export function bodyFor(kind: Channel['kind'], e: Notice, now: Date, origin?: string): unknown {
	if (kind === 'slack') return slackBody(e, origin);
	if (kind === 'teams') return teamsBody(e, origin);
	return standardBody(e, now, origin);
}

const round = (v: number) => (Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(1));

/** Standard Webhooks headers (signed when the hook has a secret), as the one webhook sender sends them. */
export function alertHeaders(secret: string | undefined, id: string, body: string, now = new Date()): Record<string, string> {
	return webhookHeaders(id, body, secret, now.getTime());
}

export interface NotifyOptions {
	origin?: string;
	now?: Date;
	timeoutMs?: number;
	/** host:port pairs that may be private; default: the action allow-list (admin list + SYNCSCOPE_ACTION_ALLOWLIST) */
	allowlist?: readonly string[];
}

/**
 * Deliver to every webhook that covers the flow, through the one webhook sender (SSRF guard,
 * signing, three attempts with back-off); returns the URLs that answered 2xx.
 */
export async function deliver(e: AlertEvent, hooks: readonly Webhook[], opts: NotifyOptions = {}): Promise<string[]> {
	const id = `alert_${randomUUID()}`;
	const targets = hooks.filter((h) => !h.flows || h.flows.includes(e.flow));
	if (targets.length === 0) return [];
	const allow = opts.allowlist ?? (await allowlist());
	const log = logger('alerts');
	const results = await Promise.all(
		targets.map(async (h) => {
			const body = JSON.stringify(h.format === 'slack' ? slackBody(e, opts.origin) : standardBody(e, opts.now ?? new Date(), opts.origin));
			const r = await sendWebhook({
				id,
				body,
				policy: { attempts: 3, backoffMs: 250, timeoutMs: opts.timeoutMs ?? 5_000 },
				target: async () => ({ url: h.url, secret: h.secret, allowlist: allow }),
				onAttempt: (a) => {
					if (a.outcome !== 'delivered') log.warn('alert webhook failed', { url: h.url, attempt: a.index + 1, status: a.status, error: a.error });
				}
			});
			return r.outcome === 'delivered' ? h.url : null;
		})
	);
	return results.filter((u): u is string => u !== null);
}

export type SendableChannel = Channel & { url: string; secret?: string };

/**
 * Send one notice to console channels through the one webhook sender; returns a delivery row per
 * channel (delivered, failed after retries, or refused by the SSRF guard). Only a generic webhook
 * channel is signed; Slack and Teams authenticate by their URL.
 */
export async function deliverToChannels(e: Notice, channels: readonly SendableChannel[], opts: NotifyOptions = {}): Promise<Delivery[]> {
	if (channels.length === 0) return [];
	const id = `alert_${randomUUID()}`;
	const now = opts.now ?? new Date();
	const allow = opts.allowlist ?? (await allowlist());
	const log = logger('alerts');
	return Promise.all(
		channels.map(async (c) => {
			const started = Date.now();
			let refused = false;
			const r = await sendWebhook({
				id,
				body: JSON.stringify(bodyFor(c.kind, e, now, opts.origin)),
				policy: { attempts: 3, backoffMs: 250, timeoutMs: opts.timeoutMs ?? 5_000 },
				target: async () => ({ url: c.url, secret: c.kind === 'webhook' ? c.secret : undefined, allowlist: allow }),
				onAttempt: (a) => {
					refused ||= a.refused;
					if (a.outcome !== 'delivered') log.warn('alert channel delivery failed', { channel: c.name, attempt: a.index + 1, status: a.status, error: a.error });
				}
			});
			return {
				at: new Date().toISOString(), deliveryId: id, alertKey: e.alertKey, event: e.event, channelId: c.id, channelName: c.name, kind: c.kind,
				status: r.status, outcome: r.outcome === 'delivered' ? 'delivered' : refused ? 'refused' : 'failed', attempts: r.attempts, error: r.error, durationMs: Date.now() - started
			} satisfies Delivery;
		})
	);
}
