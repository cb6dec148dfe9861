/**
 * The one webhook sender, for action deliveries (actions/delivery.ts) and alert notifications
 * (alerts/notify.ts): Standard Webhooks headers signed per attempt, the SSRF guard at connect time
 * (send.ts), a deadline per attempt, and retries with exponential back-off and full jitter
 * (AWS architecture blog, "Exponential Backoff And Jitter"). What an answer means:
 * 2xx delivered; 408, 429, 5xx and network errors are retried; 3xx (not followed), 410 and other
 * 4xx are permanent; an SSRF refusal is permanent and sends nothing.
 */
import { post } from './send';
import { parseTarget, SsrfError, type Resolver } from './ssrf';
import { webhookHeaders } from './signing';

export interface WebhookPolicy {
	attempts: number;
	backoffMs: number;
	timeoutMs: number;
}

export interface WebhookTarget {
	url: string;
	secret?: string;
	allowlist: readonly string[];
}

export interface Attempt {
	/** 0-based within this call */
	index: number;
	url: string;
	status: number;
	outcome: 'delivered' | 'retrying' | 'failed';
	error: string;
	durationMs: number;
	/** refused by the SSRF guard: nothing left the process */
	refused: boolean;
}

export interface WebhookResult {
	outcome: 'delivered' | 'failed' | 'stopped';
	status: number;
	error: string;
	/** attempts made (a stop before an attempt does not count) */
	attempts: number;
}

export interface WebhookMessage {
	/** webhook-id and Idempotency-Key, the same on every attempt */
	id: string;
	body: string;
	policy: WebhookPolicy;
	/** asked before every attempt: where to send now, or why to stop (e.g. the endpoint was disabled) */
	target: (index: number) => Promise<WebhookTarget | { stop: string }>;
	/** told after every attempt (to log it) */
	onAttempt?: (a: Attempt) => Promise<void> | void;
	resolve?: Resolver;
	sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const isRetryable = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

function describe(status: number, error: string | undefined, refused: boolean): string {
	if (refused) return `refused by the SSRF guard: ${error}`;
	if (error) return error;
	if (status >= 200 && status < 300) return '';
	if (status >= 300 && status < 400) return `redirect (${status}) not followed`;
	if (status === 410) return 'the receiver answered 410 Gone';
	return `HTTP ${status}`;
}

/** Send one message; resolves when it is delivered, has failed for good, or was stopped. */
export async function sendWebhook(m: WebhookMessage): Promise<WebhookResult> {
	const sleep = m.sleep ?? wait;
	let last: WebhookResult = { outcome: 'failed', status: 0, error: 'not attempted', attempts: 0 };
	for (let i = 0; i < m.policy.attempts; i++) {
		const t = await m.target(i);
		if ('stop' in t) return { outcome: 'stopped', status: 0, error: t.stop, attempts: i };
		let status = 0;
		let error: string | undefined;
		let refused = false;
		let durationMs = 0;
		try {
			const url = parseTarget(t.url);
			({ status, error, refused = false, durationMs } = await post({
				url,
				headers: webhookHeaders(m.id, m.body, t.secret),
				body: m.body,
				timeoutMs: m.policy.timeoutMs,
				allowlist: t.allowlist,
				resolve: m.resolve
			}));
		} catch (e) {
			if (!(e instanceof SsrfError)) throw e;
			({ error, refused } = { error: e.message, refused: true });
		}
		const delivered = !refused && status >= 200 && status < 300;
		const final = delivered || refused || !isRetryable(status) || i === m.policy.attempts - 1;
		const text = describe(status, error, refused);
		await m.onAttempt?.({ index: i, url: t.url, status, outcome: delivered ? 'delivered' : final ? 'failed' : 'retrying', error: text, durationMs, refused });
		last = { outcome: delivered ? 'delivered' : 'failed', status, error: text, attempts: i + 1 };
		if (final) return last;
		await sleep(Math.random() * m.policy.backoffMs * 2 ** i);
	}
	return last;
}
