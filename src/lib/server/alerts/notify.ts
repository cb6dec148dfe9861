/**
 * Alert notifications: a Standard Webhooks signed POST per configured webhook, sent by the one
 * webhook sender (webhooks/sender.ts: SSRF guard with the action allow-list, retries), with either the
 * Syncscope event body or a Slack-compatible message body ({ text, blocks }).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { logger } from '../log';
import { allowlist } from '../actions/endpoints';
import { webhookHeaders } from '../webhooks/signing';
import { sendWebhook } from '../webhooks/sender';
import type { AlertEvent } from './store';

type Webhook = Config['alertWebhooks'][number];

export function standardBody(e: AlertEvent, now: Date, consoleOrigin?: string) {
	return {
		type: `syncscope.alert.${e.event}`,
		timestamp: now.toISOString(),
		data: {
			alertKey: e.alertKey, rule: e.rule, flow: e.flow, kind: e.kind, status: e.status,
			value: e.value, threshold: e.threshold, summary: e.summary, startedAt: e.startedAt,
			url: consoleOrigin ? `${consoleOrigin}/sla/${encodeURIComponent(e.flow)}` : undefined
		}
	};
}

export function slackBody(e: AlertEvent, consoleOrigin?: string) {
	const icon = e.status === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
	const verb = e.status === 'resolved' ? 'Resolved' : e.event === 'renotify' ? 'Still firing' : 'Firing';
	const link = consoleOrigin ? ` <${consoleOrigin}/sla/${encodeURIComponent(e.flow)}|Open dashboard>` : '';
	const text = `${icon} ${verb}: ${e.summary} (value ${round(e.value)}, objective ${round(e.threshold)})${link}`;
	return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
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
