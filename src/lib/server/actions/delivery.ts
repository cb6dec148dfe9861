/**
 * Delivering an action to the middleware through the one webhook sender (webhooks/sender.ts:
 * Standard Webhooks signing, SSRF guard at connect time, back-off with full jitter; 2xx delivered,
 * 408/429/5xx/network retried, 3xx and other 4xx permanent). Idempotency-Key and webhook-id = the
 * deterministic delivery id (the same across retries and across processes); 410 disables the
 * endpoint. Each attempt is logged in action_deliveries. A delivery already marked delivered is
 * never sent again.
 */
import { config } from '../config';
import { db, sql } from '../db';
import { sha256Hex } from '../audit/canonical';
import { allowlist, endpointForSending, updateEndpoint } from './endpoints';
import { sendWebhook } from '../webhooks/sender';
import { actionDeliveries, actionDeliveryDuration } from '../console-metrics';

export interface WebhookData {
	deliveryId: string;
	action: 'replay' | 'retry';
	exceptionId: string;
	flow: string;
	step: string;
	correlationId: string;
	messageId: string;
	idempotencyKey: string;
	target: string;
	payload: string;
	payloadSha256: string;
	requestedBy: string;
	approvedBy: string;
}

export interface DeliveryJob {
	data: WebhookData;
	endpointId: string;
	/** re-checked before every attempt: a reason to stop (e.g. the approval is void), or null */
	precondition?: () => Promise<string | null>;
}

export type DeliveryOutcome = { outcome: 'delivered' | 'failed' | 'void' | 'duplicate'; status: number; error: string; attempts: number };

export interface DeliveryLogRow {
	DeliveryId: string;
	Attempt: number;
	At: string;
	ExceptionId: string;
	Action: string;
	EndpointId: string;
	Url: string;
	Status: number;
	Outcome: string;
	Error: string;
	DurationMs: number;
}

/** A delivery id that two processes compute alike for the same approved request. */
export function deliveryId(exceptionId: string, requestActionId: string): string {
	return `dlv_${sha256Hex(`${exceptionId}:${requestActionId}`).slice(0, 32)}`;
}

const inflight = new Map<string, Promise<DeliveryOutcome>>();

/** Prometheus outcome label: delivered, failed, disabled (410) or gave_up (after the last retry). */
function metricOutcome(row: Omit<DeliveryLogRow, 'At'>): string {
	if (row.Outcome === 'delivered') return 'delivered';
	if (row.Status === 410) return 'disabled';
	if (row.Outcome === 'retrying') return 'failed';
	return row.Status >= 500 || row.Status === 0 || row.Status === 408 || row.Status === 429 ? 'gave_up' : 'failed';
}

async function log(row: Omit<DeliveryLogRow, 'At'>): Promise<void> {
	// every attempt is recorded here, so the Prometheus counters are kept here too
	if (row.Outcome !== 'void') {
		actionDeliveries.inc({ action: row.Action, outcome: metricOutcome(row) });
		// attempts that reached the network (a status, or time spent failing); SSRF refusals never left
		if (row.Status > 0 || row.DurationMs > 0) actionDeliveryDuration.observe(row.DurationMs / 1000, { action: row.Action });
	}
	const at = new Date().toISOString().replace('T', ' ').replace('Z', '');
	await db().insertRaw('action_deliveries', Buffer.from(JSON.stringify({ ...row, At: at }) + '\n'), {
		format: 'JSONEachRow',
		dedupToken: `${row.DeliveryId}:${row.Attempt}:${row.Outcome}`
	});
}

async function alreadyDelivered(id: string): Promise<boolean> {
	const r = await db().query<{ c: number }>(
		sql`SELECT count() AS c FROM action_deliveries WHERE DeliveryId = ${{ String: id }} AND Outcome = 'delivered'`
	);
	return (r[0]?.c ?? 0) > 0;
}

async function lastAttempt(id: string): Promise<number> {
	const r = await db().query<{ a: number }>(sql`SELECT max(Attempt) AS a FROM action_deliveries WHERE DeliveryId = ${{ String: id }}`);
	return r[0]?.a ?? 0;
}

/** Run (or join) the delivery of one job; resolves when it is delivered or has given up. */
export function deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
	const id = job.data.deliveryId;
	const running = inflight.get(id);
	if (running) return running;
	const p = run(job).finally(() => inflight.delete(id));
	inflight.set(id, p);
	return p;
}

async function run(job: DeliveryJob): Promise<DeliveryOutcome> {
	const c = config();
	const id = job.data.deliveryId;
	const base = { DeliveryId: id, ExceptionId: job.data.exceptionId, Action: job.data.action, EndpointId: job.endpointId };
	if (await alreadyDelivered(id)) return { outcome: 'duplicate', status: 0, error: 'already delivered', attempts: 0 };
	const body = JSON.stringify({ type: `syncscope.action.${job.data.action}`, timestamp: new Date().toISOString(), data: job.data });
	const before = await lastAttempt(id);
	let stopped = null as DeliveryOutcome | null;
	const r = await sendWebhook({
		id,
		body,
		policy: { attempts: c.deliveryAttempts, backoffMs: c.deliveryBackoffMs, timeoutMs: c.deliveryTimeoutMs },
		// the endpoint, its allow-listing and the job's precondition are read again before every attempt
		target: async (i) => {
			const ep = await endpointForSending(job.endpointId);
			const stop = !ep ? 'the endpoint was deleted' : !ep.enabled ? `the endpoint is disabled (${ep.disabledReason})` : await job.precondition?.();
			if (!stop) return { url: ep!.url, secret: ep!.secret, allowlist: await allowlist() };
			const outcome = ep && ep.enabled ? 'void' : 'failed';
			await log({ ...base, Attempt: before + i + 1, Url: ep?.url ?? '', Status: 0, Outcome: outcome, Error: stop, DurationMs: 0 });
			stopped = { outcome, status: 0, error: stop, attempts: i };
			return { stop };
		},
		onAttempt: async (a) => {
			const gone = a.status === 410;
			await log({ ...base, Attempt: before + a.index + 1, Url: a.url, Status: a.status, Outcome: a.outcome, Error: gone ? 'the endpoint answered 410 Gone: disabled' : a.error, DurationMs: a.refused ? 0 : a.durationMs });
			if (gone) await updateEndpoint(job.endpointId, { enabled: false, reason: '410 Gone from the receiver' }, { email: 'system', role: 'system' });
		}
	});
	if (stopped) return stopped;
	return { outcome: r.outcome === 'delivered' ? 'delivered' : 'failed', status: r.status, error: r.outcome === 'failed' && r.status === 410 ? 'the endpoint answered 410 Gone: disabled' : r.error, attempts: r.attempts };
}

/** The delivery log of one exception, oldest first. */
export async function deliveryLog(exceptionId: string): Promise<DeliveryLogRow[]> {
	return db().query<DeliveryLogRow>(
		sql`SELECT * FROM action_deliveries WHERE ExceptionId = ${{ String: exceptionId }} ORDER BY At, Attempt`
	);
}
