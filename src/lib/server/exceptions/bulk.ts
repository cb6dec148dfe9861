/**
 * Bulk actions: a dry run first (what would be sent, which messages already succeeded and would be
 * duplicates, which cannot take the action), then a job that applies it one by one with progress.
 * Jobs live in this process (the page that started one polls it); each action is audited as usual.
 */
import { randomUUID } from 'node:crypto';
import type { SessionUser } from '../auth/types';
import { db, sql } from '../db';
import { ActionError } from './errors';
import { queryExceptions, successKeys, type SqlFilters } from './queries';
import { governanceOf } from './governance';
import { performAction, type ActionInput } from './service';
import { DELIVERING, transitionError, type ActionName } from './state';

export interface DryRun {
	action: ActionName;
	total: number;
	/** will be applied */
	eligible: string[];
	/** of those, how many send a webhook now */
	willSend: number;
	/** replay requests that will wait for an approver instead */
	awaitApproval: number;
	/** the same message already succeeded: skipped, a replay would duplicate it */
	duplicates: { id: string; reason: string }[];
	invalid: { id: string; reason: string }[];
	/** of all, how many had a retry or replay delivered to the middleware before */
	alreadyDelivered: number;
}

/** The most exceptions one bulk action over a filter may take (narrow the filter for more). */
export const BULK_FILTER_CAP = 10_000;

/**
 * Every exception matching a queue filter (not only the page on screen), newest first. Refuses a
 * filter that matches more than BULK_FILTER_CAP rather than acting on an arbitrary part of it.
 */
export async function idsMatching(f: SqlFilters): Promise<string[]> {
	const rows = await queryExceptions(f, BULK_FILTER_CAP + 1);
	if (rows.length > BULK_FILTER_CAP) {
		throw new ActionError(400, `the filter matches more than ${BULK_FILTER_CAP.toLocaleString('en-US')} exceptions; narrow it (flow, signature, age) and act in parts`);
	}
	return rows.map((r) => r.id);
}

/** Ids whose retry or replay was delivered to the middleware at least once. */
async function delivered(ids: string[]): Promise<Set<string>> {
	if (ids.length === 0) return new Set();
	const rows = await db().query<{ id: string }>(
		sql`SELECT DISTINCT SubjectId AS id FROM audit_log
			WHERE SubjectType = 'exception' AND Action = 'delivered' AND Result = 'ok' AND SubjectId IN ${{ 'Array(String)': ids }}`
	);
	return new Set(rows.map((r) => r.id));
}

/** Ids whose message has a successful span of the same flow and step (at any time). */
async function alreadySucceeded(ids: string[]): Promise<Set<string>> {
	if (ids.length === 0) return new Set();
	const rows = await db().query<{ id: string }>(sql`
		SELECT DISTINCT e.ExceptionId AS id
		FROM (SELECT ExceptionId, any(Flow) AS Flow, any(Step) AS Step, k FROM exception_events
			ARRAY JOIN ${successKeys('MessageId', 'IdempotencyKey', 'CorrelationId')} AS k
			WHERE ExceptionId IN ${{ 'Array(String)': ids }} AND Signal = 'span' GROUP BY ExceptionId, k) AS e
		INNER JOIN message_successes AS s ON s.Flow = e.Flow AND s.Step = e.Step AND s.KeyValue = e.k`);
	return new Set(rows.map((r) => r.id));
}

/** Who requested the pending replay of each exception (approver ≠ requester). */
async function requesters(ids: string[]): Promise<Map<string, string>> {
	const rows = await db().query<{ id: string; actor: string }>(
		sql`SELECT SubjectId AS id, argMax(Actor, Seq) AS actor FROM audit_log
			WHERE SubjectType = 'exception' AND Action = 'request_replay' AND Result = 'ok' AND SubjectId IN ${{ 'Array(String)': ids }}
			GROUP BY SubjectId`
	);
	return new Map(rows.map((r) => [r.id, r.actor]));
}

export async function dryRun(ids: string[], action: ActionName, user?: Pick<SessionUser, 'email'>): Promise<DryRun> {
	const unique = [...new Set(ids)];
	const deciding = action === 'approve_replay' || action === 'reject_replay';
	const [rows, succeeded, requestedBy, sent] = await Promise.all([
		queryExceptions({ ids: unique }, unique.length),
		alreadySucceeded(unique),
		deciding && user ? requesters(unique) : Promise.resolve(new Map<string, string>()),
		delivered(unique)
	]);
	const byId = new Map(rows.map((r) => [r.id, r]));
	const out: DryRun = { action, total: unique.length, eligible: [], willSend: 0, awaitApproval: 0, duplicates: [], invalid: [], alreadyDelivered: sent.size };
	for (const id of unique) {
		const r = byId.get(id);
		if (!r) out.invalid.push({ id, reason: 'no such exception' });
		else if (DELIVERING.has(action) || action === 'request_replay') {
			if (r.state === 'resolved' || succeeded.has(id)) {
				out.duplicates.push({ id, reason: r.resolvedAt ? `already delivered successfully at ${r.resolvedAt.slice(0, 19)}` : 'the same message already succeeded' });
				continue;
			}
		}
		if (!r) continue;
		const own = user && requestedBy.get(id) === user.email;
		const bad = transitionError(action, r.state) ?? (own ? 'you requested this replay; a different person must decide it' : null);
		if (bad) out.invalid.push({ id, reason: bad });
		else out.eligible.push(id);
	}
	if (action === 'request_replay') {
		const gov = await governanceOf(out.eligible);
		for (const id of out.eligible) {
			if (gov.get(id)?.needsApproval ?? true) out.awaitApproval++;
			else out.willSend++;
		}
	} else if (DELIVERING.has(action)) out.willSend = out.eligible.length;
	return out;
}

export interface BulkJob {
	id: string;
	owner: string;
	action: ActionName;
	total: number;
	done: number;
	ok: number;
	failed: { id: string; reason: string }[];
	finished: boolean;
}

const jobs = new Map<string, BulkJob>();

/** Start applying `action` to the eligible ids of a fresh dry run; returns the job to poll. */
export async function startBulk(ids: string[], input: ActionInput, user: SessionUser): Promise<{ job: BulkJob; plan: DryRun }> {
	const plan = await dryRun(ids, input.action, user);
	const job: BulkJob = { id: randomUUID(), owner: user.email, action: input.action, total: plan.eligible.length, done: 0, ok: 0, failed: [], finished: false };
	jobs.set(job.id, job);
	void (async () => {
		for (const id of plan.eligible) {
			try {
				await performAction(id, input, user);
				job.ok++;
			} catch (e) {
				job.failed.push({ id, reason: e instanceof ActionError ? e.reason : (e as Error).message });
			}
			job.done++;
		}
		job.finished = true;
		setTimeout(() => jobs.delete(job.id), 3_600_000).unref();
	})();
	return { job, plan };
}

/** A job's progress, for the user who started it. */
export function bulkJob(id: string, user: SessionUser): BulkJob | null {
	const j = jobs.get(id);
	return j && j.owner === user.email ? j : null;
}
