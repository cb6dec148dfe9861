/**
 * Alert notifications: a Standard Webhooks signed POST per configured webhook, with either the
 * Syncscope event body or a Slack-compatible message body ({ text, blocks }).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { logger } from '../log';
import { signedHeaders } from '../actions/signing';
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

/** Deliver to every webhook that covers the flow; returns the URLs that answered 2xx. */
/** Standard Webhooks headers (signed with the action webhooks' signer when the hook has a secret). */
export function alertHeaders(secret: string | undefined, id: string, body: string, now = new Date()): Record<string, string> {
	const base = { 'content-type': 'application/json', 'idempotency-key': id };
	if (secret) return { ...base, ...signedHeaders(secret, id, body, now.getTime()) };
	return { ...base, 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)) };
}

export async function deliver(e: AlertEvent, hooks: readonly Webhook[], opts: { origin?: string; now?: Date; timeoutMs?: number } = {}): Promise<string[]> {
	const now = opts.now ?? new Date();
	const id = `alert_${randomUUID()}`;
	const targets = hooks.filter((h) => !h.flows || h.flows.includes(e.flow));
	const results = await Promise.all(
		targets.map(async (h) => {
			const body = JSON.stringify(h.format === 'slack' ? slackBody(e, opts.origin) : standardBody(e, now, opts.origin));
			for (let attempt = 0; attempt < 3; attempt++) {
				try {
					const res = await fetch(h.url, { method: 'POST', headers: alertHeaders(h.secret, id, body, now), body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000) });
					if (res.ok) return h.url;
					if (res.status < 500 && res.status !== 429) break; // permanent: do not retry
				} catch (err) {
					logger('alerts').warn('alert webhook failed', { url: h.url, attempt: attempt + 1, err });
				}
				await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
			}
			return null;
		})
	);
	return results.filter((u): u is string => u !== null);
}
