/**
 * The runbooks' auto-retry policy: an open exception whose governance (every runbook that ever
 * applied, governance.ts) allows retry and sets autoRetry.attempts is retried after backoff × 2^n
 * since its last failure (n = auto-retries so far), at most `attempts` times. Each tick also records
 * the policy of every open exception in the ledger, so an exception's policy is fixed within a tick
 * of its first failure even if nobody acts on it. Each retry is an ordinary audited action by "auto-retry"; with
 * several console processes the audit log's compare-and-set lets one of them win each retry and
 * the others get 409 (already retrying), which is skipped.
 */
import { db, sql } from '../db';
import { logger } from '../log';
import { auditFor } from '../audit/log';
import { startDelivery } from './dispatch';
import { ActionError } from './errors';
import { governanceAllows, governanceOf } from './governance';
import { queryExceptions } from './queries';
import { performAction } from './service';

export const AUTO_RETRY_ACTOR = { id: 'auto-retry', email: 'auto-retry', role: 'operator' as const, via: 'token' as const };

const parseUtc = (ts: string) => new Date(ts.slice(0, 23).replace(' ', 'T') + 'Z').getTime();

/** Retry what is due now; returns the ids retried. */
export async function autoRetryTick(now = Date.now()): Promise<string[]> {
	const rows = await queryExceptions({ state: ['open'] });
	const gov = await governanceOf(
		rows.map((r) => r.id),
		{ record: true, keys: new Map(rows.map((r) => [r.id, r.correlationId || r.messageId || r.idempotencyKey])) }
	);
	const candidates = rows
		.map((r) => ({ r, g: gov.get(r.id) }))
		.filter(({ g }) => g && g.autoRetry.attempts > 0 && governanceAllows(g, 'retry'))
		.map(({ r, g }) => ({ r, policy: g!.autoRetry, runbook: g!.primary!.runbook.id }));
	if (candidates.length === 0) return [];
	const counts = new Map(
		(
			await db().query<{ id: string; n: number }>(
				sql`SELECT SubjectId AS id, count() AS n FROM audit_log
					WHERE SubjectType = 'exception' AND Action = 'retry' AND Actor = ${{ String: AUTO_RETRY_ACTOR.email }} AND Result = 'ok'
					  AND SubjectId IN ${{ 'Array(String)': candidates.map((c) => c.r.id) }}
					GROUP BY SubjectId`
			)
		).map((x) => [x.id, x.n])
	);
	const retried: string[] = [];
	for (const { r, policy, runbook } of candidates) {
		const n = counts.get(r.id) ?? 0;
		if (n >= policy.attempts) continue;
		if (now < parseUtc(r.lastSeen) + policy.backoff * 2 ** n) continue;
		try {
			await performAction(r.id, { action: 'retry', comment: `auto-retry ${n + 1} of ${policy.attempts} (runbook ${runbook})` }, AUTO_RETRY_ACTOR);
			retried.push(r.id);
		} catch (e) {
			// someone acted first, or no endpoint serves the flow: the refusal is audited; try next tick
			if (!(e instanceof ActionError)) throw e;
		}
	}
	return retried;
}

const parseAt = (ts: string) => new Date(ts.replace(' ', 'T') + 'Z').getTime();

/**
 * Approvals whose delivery never finished (the console stopped mid-delivery): deliver them again,
 * with the same delivery id, so the receiver's Idempotency-Key dedup makes a repeat harmless and a
 * delivery already marked delivered is not sent at all. Returns the ids resumed.
 */
export async function resumeStalledDeliveries(now = Date.now(), graceMs = 120_000): Promise<string[]> {
	const resumed: string[] = [];
	for (const exc of await queryExceptions({ state: ['replay_approved'] })) {
		const history = await auditFor('exception', exc.id);
		const iApproval = history.findLastIndex((r) => r.Action === 'approve_replay' && r.Result === 'ok');
		if (iApproval < 0) continue;
		const approval = history[iApproval];
		const settled = history.slice(iApproval + 1).some((r) => r.Role === 'system' && JSON.parse(r.Data || '{}').decisionActionId === approval.ActionId);
		if (settled || now - parseAt(approval.At) < graceMs) continue;
		const requestId = (JSON.parse(approval.Data || '{}') as { requestActionId?: string }).requestActionId;
		const request = history.find((r) => r.ActionId === requestId);
		if (!request) continue;
		await startDelivery(exc, approval, request);
		resumed.push(exc.id);
	}
	return resumed;
}

/** Run autoRetryTick (and resume stalled deliveries) every `intervalMs`, never two at once; returns a stop function. */
export function startAutoRetry(intervalMs = 30_000): () => void {
	let running = false;
	const timer = setInterval(async () => {
		if (running) return;
		running = true;
		try {
			await resumeStalledDeliveries();
			await autoRetryTick();
		} catch (e) {
			logger('exceptions').error('auto-retry tick failed', { err: e });
		} finally {
			running = false;
		}
	}, intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}
