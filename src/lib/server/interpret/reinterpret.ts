/**
 * The re-interpret job: the rule set in use applied to the stored telemetry of the last N UTC days,
 * oldest first, so lineage, the key index, exceptions and SLA figures read as if the data had
 * arrived under these rules. Saving a rule version applies to new telemetry only; this is how it
 * reaches what is already stored.
 *
 * Per day (reinterpret-stage.ts, reinterpret-store.ts, reinterpret-sla.ts):
 * 1. staging: the day's spans and log records are read a chunk of whole traces at a time, the
 *    derived facts removed and derived anew; changed attribute maps go to reinterpret_rows. A day in
 *    which nothing changes stops here (a second run with the same rules changes nothing).
 * 2. staged: every row of the day, once, with its new map, is copied into reinterpret_spans /
 *    reinterpret_logs, and the day's SLA transactions are noted (reinterpret_sla_keys).
 * 3. swapped: the day's rows are deleted from otel_traces / otel_logs (by identity: rows arriving
 *    meanwhile stay) and from every table the views filled from them (lineage_spans,
 *    business_key_index, exception_events, message_successes, the sla_* rollups), then inserted from
 *    staging, so the views derive everything anew; rows that arrived during the swap are put through
 *    it too.
 * 4. the day's transactions are tombstoned and folded again (SLA), staging is cleared: done.
 * Each phase is recorded (reinterpret_days) before the next starts; a job finds a day left staged
 * or swapped by an interrupted one and finishes it first (between the delete and the insert of step
 * 3 the day's rows exist only in staging).
 *
 * What does not move: people's actions on exceptions (audit_log) stay with the exception id they
 * were taken on. An exception's id is derived from its flow and key (migration 205): when the new
 * rules give a failure another flow or key, its history, assignee, quarantine or discard stay with
 * the old id, which no longer lists, and the failure shows as a new open exception (an auto-retry
 * runbook may retry it again).
 *
 * One job at a time across processes: a job starts with a `reinterpret_start` row in the audit log
 * (its compare-and-set orders racing starts), refused while another job's start has no
 * `reinterpret_finish` and its heartbeat (reinterpret_jobs) is younger than the lease. Embedded, the
 * collector shares the process and its data directory: the job runs inside the server (the API).
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from '../audit/log';
import { db, sql, type Db } from '../db';
import { logger } from '../log';
import { activeRules, type ActiveRules } from './ruleset';
import { refreshInterpretation } from './versions';
import { checkStore, clearStaging, countDay, dayOf, DAY_MS, stageRows, swapDay, type Day } from './reinterpret-store';
import { chunksFor, interpretDay } from './reinterpret-stage';
import { collectSlaKeys, refoldDay, reloadRollupMirrors } from './reinterpret-sla';
import { claimSlot, closeInterrupted, jobRow, latestJob, LEASE_MS, nextRowVersion, readJob, ReinterpretError, runningJobs, type ReinterpretStatus } from './reinterpret-jobs';

export { LEASE_MS, ReinterpretError, type ReinterpretStatus } from './reinterpret-jobs';

const HEARTBEAT_MS = 10_000;
/** Days a job may go back (telemetry older than the retention is gone anyway). */
export const MAX_DAYS = 366;

const log = logger('reinterpret');

interface Job {
	id: string;
	actor: string;
	role: string;
	days: number;
	force: boolean;
	rules: ActiveRules;
	status: ReinterpretStatus;
	savedAt: number;
	onProgress?: (s: ReinterpretStatus) => void;
}

/** Jobs of this process (status without a query while they run). */
const KEY = Symbol.for('syncscope.reinterpret');
const local = (): Map<string, Job> => ((globalThis as Record<symbol, Map<string, Job>>)[KEY] ??= new Map());

/** The UTC days of the last `days`, oldest first (today included). */
export function windowDays(days: number, now = Date.now()): Day[] {
	const today = Math.floor(now / DAY_MS) * DAY_MS;
	return Array.from({ length: days }, (_, i) => dayOf(new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10)));
}

async function save(job: Job, d: Db, finishedAt?: Date): Promise<void> {
	job.savedAt = Date.now();
	await d.insertRows('reinterpret_jobs', [jobRow({ ...job, rulesVersion: job.rules.version }, finishedAt)]);
}

async function progress(job: Job, d: Db, change: Partial<ReinterpretStatus>): Promise<void> {
	Object.assign(job.status, change);
	job.onProgress?.({ ...job.status });
	if (Date.now() - job.savedAt > 2_000 || change.message) await save(job, d);
}

async function setPhase(d: Db, job: Job, day: Day, phase: string, chunks = 0, changed = 0): Promise<void> {
	await d.insertRows('reinterpret_days', [{ Day: day.day, JobId: job.id, RulesVersion: job.rules.version, Phase: phase, Chunks: chunks, Changed: changed, Version: nextRowVersion() }]);
}

/** Steps 3 and 4 of a staged day (from `phase`: 'staged' or 'swapped'). */
async function finishDay(d: Db, job: Job, day: Day, phase: string): Promise<void> {
	const bg = d.background?.() ?? d;
	if (phase === 'staged') {
		await progress(job, d, { message: `${day.day}: replacing the day's rows` });
		const { late } = await swapDay(bg, day);
		if (late) log.info('rows that arrived during the swap were put through it too', { day: day.day, late, job: job.id });
		await setPhase(d, job, day, 'swapped');
	}
	await progress(job, d, { message: `${day.day}: folding SLA transactions` });
	await refoldDay(d, day);
	await clearStaging(bg, day);
	await setPhase(d, job, day, 'done');
}

/** Days an interrupted job left in staging: finished (staged, swapped) or cleared (staging). */
async function recover(d: Db, job: Job): Promise<void> {
	const open = await d.query<{ day: string; phase: string; job: string }>(sql`
		SELECT toString(Day) AS day, argMax(Phase, Version) AS phase, argMax(JobId, Version) AS job FROM reinterpret_days
		GROUP BY Day HAVING phase != 'done' ORDER BY Day`);
	for (const o of open) {
		log.warn('finishing a day an interrupted job left', { day: o.day, phase: o.phase, interrupted: o.job, job: job.id });
		if (o.phase === 'staging') {
			await clearStaging(d.background?.() ?? d, dayOf(o.day));
			await setPhase(d, job, dayOf(o.day), 'done');
		} else await finishDay(d, job, dayOf(o.day), o.phase);
	}
}

/** One day of the window; true when its rows were rewritten. */
async function processDay(d: Db, job: Job, day: Day, rows: number): Promise<boolean> {
	// nothing stored that day: nothing derived from it either
	if (rows === 0) return false;
	const bg = d.background?.() ?? d;
	const chunks = chunksFor(rows);
	await clearStaging(bg, day);
	await setPhase(d, job, day, 'staging', chunks);
	await progress(job, d, { message: `${day.day}: interpreting ${rows.toLocaleString('en-US')} spans and log records` });
	// (rows arriving meanwhile are read too: done stays within the total counted at the start)
	const read = (n: number) => progress(job, d, { done: Math.min(job.status.total, job.status.done + n) });
	const { changed } = await interpretDay(bg, day, job.rules.compiled, chunks, read, job.id);
	if (changed === 0 && !job.force) {
		await clearStaging(bg, day);
		await setPhase(d, job, day, 'done', chunks, 0);
		return false;
	}
	await progress(job, d, { message: `${day.day}: staging ${changed.toLocaleString('en-US')} changed rows` });
	await stageRows(bg, day, chunks);
	await collectSlaKeys(bg, day);
	await setPhase(d, job, day, 'staged', chunks, changed);
	await finishDay(d, job, day, 'staged');
	return true;
}

async function run(d: Db, job: Job): Promise<ReinterpretStatus> {
	const beat = setInterval(() => void save(job, d).catch((e) => log.warn('heartbeat not written', { err: e, job: job.id })), HEARTBEAT_MS);
	beat.unref();
	const days = windowDays(job.days);
	let result = 'ok';
	try {
		await recover(d, job);
		const counts = await Promise.all(days.map((day) => countDay(d, day)));
		const rows = counts.map((c) => c.spans + c.logs);
		await progress(job, d, { total: rows.reduce((a, b) => a + b, 0), message: `${days.length} days, rule version ${job.rules.version}` });
		let rewritten = 0;
		for (const [i, day] of days.entries()) if (await processDay(d, job, day, rows[i])) rewritten++;
		await reloadRollupMirrors(d);
		const message = `done: ${days.length} days with rule version ${job.rules.version}, ${rewritten} of them rewritten (the others did not change)`;
		Object.assign(job.status, { state: 'done', done: job.status.total, message });
	} catch (e) {
		log.error('re-interpret job failed', { err: e, job: job.id });
		result = `failed: ${(e as Error).message.slice(0, 300)}`;
		Object.assign(job.status, { state: 'failed', message: `failed: ${(e as Error).message.slice(0, 500)}; run it again to finish` });
	} finally {
		clearInterval(beat);
	}
	const finishedAt = new Date();
	job.status.finishedAt = finishedAt.toISOString();
	job.onProgress?.({ ...job.status });
	try {
		await save(job, d, finishedAt);
		await appendAudit(async () => ({
			actor: job.actor,
			role: job.role,
			action: 'reinterpret_finish',
			subjectType: 'interpretation',
			subjectId: `reinterpret:${job.id}`,
			fromState: 'running',
			toState: job.status.state,
			comment: job.status.message,
			result,
			data: { days: job.days, rulesVersion: job.rules.version, rows: job.status.total }
		}));
	} finally {
		local().delete(job.id);
	}
	return { ...job.status };
}

/** Claim the one job slot (audit compare-and-set); throws ReinterpretError(409) while a job runs. */
async function claim(input: { days: number; actor: string; role?: string; force?: boolean }, d: Db, minDays = 1): Promise<Job> {
	if (!Number.isInteger(input.days) || input.days < minDays || input.days > MAX_DAYS) throw new ReinterpretError(`days must be a whole number from 1 to ${MAX_DAYS}`);
	await refreshInterpretation(() => activeRules()?.version ?? -1, d);
	const rules = activeRules();
	if (!rules) throw new Error('no interpretation rules are loaded');
	await checkStore(d);
	const id = randomUUID();
	const startedAt = new Date();
	const job: Job = { id, actor: input.actor, role: input.role ?? '', days: input.days, force: !!input.force, rules, savedAt: 0, status: { state: 'running', done: 0, total: 0, message: 'starting', startedAt: startedAt.toISOString() } };
	const stale = await claimSlot(d, { ...input, id, rulesVersion: rules.version });
	await save(job, d);
	for (const old of stale) await closeInterrupted(d, old, id);
	local().set(id, job);
	log.info('re-interpret job started', { job: id, days: input.days, rulesVersion: rules.version, actor: input.actor });
	return job;
}

/** Start a job in this process (the API); it runs in the background. Refused (409) while one runs. */
export async function startReinterpret(input: { days: number; actor: string; role?: string }): Promise<{ jobId: string }> {
	const d = db();
	const job = await claim(input, d);
	// run() records its own failure; this catches only a store gone while recording it
	void run(d, job).catch((e) => log.error('re-interpret job could not record its end', { err: e, job: job.id }));
	return { jobId: job.id };
}

/** Run a job to its end in this process (the CLI when no server holds the store; tests). */
export async function runReinterpret(input: {
	days: number;
	actor: string;
	role?: string;
	/** rewrite days even where the rules change nothing */
	force?: boolean;
	onProgress?: (s: ReinterpretStatus) => void;
}): Promise<ReinterpretStatus & { jobId: string }> {
	const d = db();
	const job = await claim(input, d);
	job.onProgress = input.onProgress;
	return { jobId: job.id, ...(await run(d, job)) };
}

/**
 * Finish what an interrupted job left (a day between the delete and the insert of its swap exists
 * only in staging): a job of 0 days, when there is something to finish and no job runs. For start-up.
 */
export async function finishInterrupted(actor = 'syncscope'): Promise<{ jobId: string } | null> {
	const d = db();
	const [open] = await d.query<{ n: number }>(sql`SELECT count() AS n FROM (SELECT argMax(Phase, Version) AS p FROM reinterpret_days GROUP BY Day) WHERE p != 'done'`);
	if (!open || Number(open.n) === 0) return null;
	if ((await runningJobs(d, LEASE_MS)).some((j) => j.alive)) return null;
	const job = await claim({ days: 0, actor }, d, 0);
	return { jobId: job.id, ...(await run(d, job)) };
}

/** A job's progress (this process's, else as last saved); null for an unknown id. */
export async function reinterpretStatus(jobId: string): Promise<ReinterpretStatus | null> {
	const mine = local().get(jobId);
	if (mine) return { ...mine.status };
	return (await readJob(db(), jobId, LEASE_MS))?.status ?? null;
}

/** The newest job, or null when none ran. */
export async function latestReinterpret(): Promise<(ReinterpretStatus & { jobId: string }) | null> {
	const mine = [...local().values()].at(-1);
	if (mine) return { jobId: mine.id, ...mine.status };
	return latestJob(db(), LEASE_MS);
}
