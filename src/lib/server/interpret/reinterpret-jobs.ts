/**
 * Re-interpret jobs as stored (reinterpret_jobs, migration 021) and in the audit log: their rows,
 * their status as the API reports it, and which of them still runs (a start without a finish whose
 * heartbeat is younger than the lease).
 */
import { appendAudit } from '../audit/log';
import { sql, type Db } from '../db';

/** A refused start or bad input, with the HTTP status the API answers. */
export class ReinterpretError extends Error {
	constructor(
		message: string,
		readonly status: 400 | 409 = 400
	) {
		super(message);
	}
}

/** A job without a heartbeat for this long was interrupted (its process stopped). */
export const LEASE_MS = 60_000;

export interface ReinterpretStatus {
	state: 'running' | 'done' | 'failed';
	/** spans and log records read so far, of `total` in the window */
	done: number;
	total: number;
	message: string;
	startedAt: string;
	finishedAt?: string;
}

/** The row of reinterpret_jobs as inserted and read (times as ClickHouse DateTime64(3) text). */
export type JobRow = {
	JobId: string;
	Actor: string;
	Days: number;
	RulesVersion: number;
	State: string;
	Done: number;
	Total: number;
	Message: string;
	StartedAt: string;
	FinishedAt: string | null;
	HeartbeatAt: string;
	Version: string;
};

/** ClickHouse DateTime64(3) text of a time (UTC), and back. */
export const chTime = (t: Date) => t.toISOString().replace('T', ' ').replace('Z', '');
const fromCh = (t: string) => new Date(t.replace(' ', 'T') + 'Z');

let version = 0n;
/** Row versions: the wall clock in µs, strictly increasing in this process. */
export function nextRowVersion(): string {
	const v = BigInt(Date.now()) * 1000n;
	version = v > version ? v : version + 1n;
	return String(version);
}

export function jobRow(j: { id: string; actor: string; days: number; rulesVersion: number; status: ReinterpretStatus }, finishedAt?: Date): JobRow {
	const s = j.status;
	return {
		JobId: j.id,
		Actor: j.actor,
		Days: j.days,
		RulesVersion: j.rulesVersion,
		State: s.state,
		Done: s.done,
		Total: s.total,
		Message: s.message,
		StartedAt: chTime(new Date(s.startedAt)),
		FinishedAt: finishedAt ? chTime(finishedAt) : null,
		HeartbeatAt: chTime(new Date()),
		Version: nextRowVersion()
	};
}

/** The status of a stored row; a running job without a heartbeat within the lease was interrupted. */
function statusOf(r: JobRow, leaseMs: number): ReinterpretStatus {
	const interrupted = r.State === 'running' && Date.now() - fromCh(r.HeartbeatAt).getTime() > leaseMs;
	return {
		state: interrupted ? 'failed' : (r.State as ReinterpretStatus['state']),
		done: Number(r.Done),
		total: Number(r.Total),
		message: interrupted ? `interrupted: no heartbeat since ${fromCh(r.HeartbeatAt).toISOString()}; the next job finishes its staged days` : r.Message,
		startedAt: fromCh(r.StartedAt).toISOString(),
		...(r.FinishedAt ? { finishedAt: fromCh(r.FinishedAt).toISOString() } : {})
	};
}

const COLUMNS = sql`JobId, Actor, Days, RulesVersion, State, Done, Total, Message, toString(StartedAt) AS StartedAt,
	if(FinishedAt IS NULL, NULL, toString(FinishedAt)) AS FinishedAt, toString(HeartbeatAt) AS HeartbeatAt, toString(Version) AS Version`;

/** A job's last saved row and status. */
export async function readJob(d: Db, id: string, leaseMs: number): Promise<{ row: JobRow; status: ReinterpretStatus } | null> {
	const [r] = await d.query<JobRow>(sql`SELECT ${COLUMNS} FROM reinterpret_jobs WHERE JobId = ${{ String: id }} ORDER BY Version DESC LIMIT 1`);
	return r ? { row: r, status: statusOf(r, leaseMs) } : null;
}

/** The newest job's status. */
export async function latestJob(d: Db, leaseMs: number): Promise<(ReinterpretStatus & { jobId: string }) | null> {
	const [r] = await d.query<JobRow>(sql`SELECT ${COLUMNS} FROM reinterpret_jobs ORDER BY StartedAt DESC, Version DESC LIMIT 1 BY JobId LIMIT 1`);
	return r ? { jobId: r.JobId, ...statusOf(r, leaseMs) } : null;
}

/**
 * Jobs the audit log says started and did not finish: alive while their heartbeat (or, before the
 * first one, their start) is younger than the lease.
 */
export async function runningJobs(d: Db, leaseMs: number): Promise<{ id: string; actor: string; startedAt: string; alive: boolean }[]> {
	const rows = await d.query<{ id: string; actor: string; at: string; beat: string | null }>(sql`
		SELECT substring(a.SubjectId, 13) AS id, a.actor AS actor, toString(a.at) AS at, toString(j.beat) AS beat
		FROM (
			SELECT SubjectId, argMax(Action, Seq) AS last, argMaxIf(Actor, Seq, Action = 'reinterpret_start') AS actor, maxIf(At, Action = 'reinterpret_start') AS at
			FROM audit_log WHERE SubjectType = 'interpretation' AND Action IN ('reinterpret_start', 'reinterpret_finish')
			GROUP BY SubjectId HAVING last = 'reinterpret_start'
		) AS a
		LEFT JOIN (SELECT JobId, max(HeartbeatAt) AS beat FROM reinterpret_jobs GROUP BY JobId) AS j ON j.JobId = substring(a.SubjectId, 13)
		SETTINGS join_use_nulls = 1`);
	return rows.map((r) => {
		const last = Math.max(fromCh(r.at).getTime(), r.beat ? fromCh(r.beat).getTime() : 0);
		return { id: r.id, actor: r.actor, startedAt: fromCh(r.at).toISOString(), alive: Date.now() - last <= leaseMs };
	});
}

/**
 * Take the one job slot: the `reinterpret_start` audit row, appended only while no other job is
 * alive (the audit log's compare-and-set orders two starts racing from different processes, and
 * the loser's check then sees the winner). Returns the interrupted jobs found, to be closed.
 */
export async function claimSlot(d: Db, j: { id: string; actor: string; role?: string; days: number; force?: boolean; rulesVersion: number }): Promise<string[]> {
	let stale: string[] = [];
	await appendAudit(async () => {
		const jobs = await runningJobs(d, LEASE_MS);
		const alive = jobs.find((x) => x.alive);
		if (alive) throw new ReinterpretError(`a re-interpret job is running (started by ${alive.actor || 'someone'} at ${alive.startedAt}): wait for it to finish`, 409);
		stale = jobs.map((x) => x.id);
		return {
			actor: j.actor,
			role: j.role ?? '',
			action: 'reinterpret_start',
			subjectType: 'interpretation',
			subjectId: `reinterpret:${j.id}`,
			toState: 'running',
			comment: `re-interpret the last ${j.days} days with rule version ${j.rulesVersion}`,
			result: 'ok',
			data: { days: j.days, rulesVersion: j.rulesVersion, ...(j.force ? { force: true } : {}) }
		};
	});
	return stale;
}

/** An interrupted job: marked failed, with its audit finish (job `by` finishes its staged days). */
export async function closeInterrupted(d: Db, id: string, by: string): Promise<void> {
	const s = await readJob(d, id, LEASE_MS);
	const message = `interrupted (no heartbeat); job ${by} finishes the days it left staged`;
	if (s) await d.insertRows('reinterpret_jobs', [{ ...s.row, State: 'failed', Message: message, FinishedAt: chTime(new Date()), Version: nextRowVersion() }]);
	await appendAudit(async () => ({
		actor: s?.row.Actor ?? '',
		role: '',
		action: 'reinterpret_finish',
		subjectType: 'interpretation',
		subjectId: `reinterpret:${id}`,
		fromState: 'running',
		toState: 'failed',
		comment: message,
		result: 'failed: interrupted'
	}));
}
