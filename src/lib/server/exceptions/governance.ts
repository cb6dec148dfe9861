/**
 * Which policy governs an exception: decided by people (runbooks, their versions, roles), never
 * steerable by telemetry. Anyone who can reach the ingest port can add a failure to a message, so a
 * new failure must never loosen what applies:
 *
 * - An exception's signatures are the (flow, step, error class, error code) it had as its failures
 *   arrived, ordered as exception state orders them (queries.ts `orderedAt`), plus every signature the
 *   policy ledger (table exception_policy, migration 207) recorded before. The ledger is written by the
 *   console only (an action, the auto-retry sweep) and keeps a signature after telemetry changes.
 * - The first signature fixes the exception's runbook (owner, instructions): the first one recorded,
 *   else the first observed.
 * - Every runbook any signature ever matched applies at once, and the strictest answer wins on each
 *   question: a replay needs an approver if any of them (or no runbook at all) requires one, at the
 *   highest amount ever seen; an action is allowed only if each of them allows it; auto-retry takes the
 *   fewest attempts and the longest back-off.
 * - When a new signature brings another runbook, the change is recorded in the audit log
 *   (`policy_change`, by system), with what applies from then on.
 */
import { appendAudit } from '../audit/log';
import { db, sql } from '../db';
import { runbooks, type LoadedRunbook } from '../runbooks/loader';
import { matchRunbook } from '../runbooks/match';
import type { Runbook } from '../runbooks/schema';
import { orderedAt } from './queries';
import { replayNeedsApproval, runbookAllows } from './policy';
import type { ActionName } from './state';

export interface Signature {
	flow: string;
	step: string;
	errorClass: string;
	errorCode: string;
}

interface SignatureRow extends Signature {
	id: string;
	amount: number | null;
	firstAt: string;
	/** set for rows read from the ledger */
	recordedAt?: string;
}

export interface Governance {
	id: string;
	/** the runbook of the exception's first signature: owner and instructions come from it */
	primary: LoadedRunbook | null;
	/** every runbook a signature of this exception ever matched; null: a signature no runbook matched */
	applied: (LoadedRunbook | null)[];
	signatures: Signature[];
	/** the highest amount ever seen (telemetry cannot lower an approval threshold's input) */
	amount: number | null;
	needsApproval: boolean;
	autoRetry: { attempts: number; backoff: number };
}

const keyOf = (s: Signature) => JSON.stringify([s.flow, s.step, s.errorClass, s.errorCode]);
const maxAmount = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * The signature each exception had after each of its failures, in order (window over its failures,
 * the same rules as queries.ts `derived`: the newest span's step, the newest non-empty class and code),
 * with when it first applied and the exception's highest amount.
 */
async function observedSignatures(ids: string[]): Promise<SignatureRow[]> {
	if (ids.length === 0) return [];
	return db().query<SignatureRow>(sql`
		SELECT ExceptionId AS id, Flow AS flow, RunStep AS step, RunClass AS errorClass, RunCode AS errorCode,
			min(At) AS firstAt, any(MaxAmount) AS amount
		FROM (
			SELECT ExceptionId, Flow, At,
				argMax(Step, (Signal = 'span', At)) OVER w AS RunStep,
				argMaxIf(ErrorClass, At, ErrorClass != '') OVER w AS RunClass,
				argMaxIf(ErrorCode, At, ErrorCode != '') OVER w AS RunCode,
				max(Amount) OVER (PARTITION BY ExceptionId) AS MaxAmount
			FROM (SELECT ExceptionId, Flow, Step, Signal, ErrorClass, ErrorCode, Amount, ${orderedAt()} AS At
				FROM exception_events WHERE ExceptionId IN ${{ 'Array(String)': ids }})
			WINDOW w AS (PARTITION BY ExceptionId ORDER BY At, Signal DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
		)
		GROUP BY id, flow, step, errorClass, errorCode
		ORDER BY id, firstAt`);
}

/** What the ledger recorded for each exception, oldest record first. */
async function recordedSignatures(ids: string[]): Promise<SignatureRow[]> {
	if (ids.length === 0) return [];
	return db().query<SignatureRow>(sql`
		SELECT ExceptionId AS id, Flow AS flow, Step AS step, ErrorClass AS errorClass, ErrorCode AS errorCode,
			Amount AS amount, FirstAt AS firstAt, RecordedAt AS recordedAt
		FROM exception_policy WHERE ExceptionId IN ${{ 'Array(String)': ids }}
		ORDER BY id, RecordedAt, FirstAt`);
}

function strictest(id: string, signatures: Signature[], amount: number | null, books: readonly LoadedRunbook[]): Governance {
	const matched = signatures.map((s) => matchRunbook(books, s));
	const applied: (LoadedRunbook | null)[] = [];
	for (const m of matched) if (!applied.some((a) => (a?.runbook.id ?? null) === (m?.runbook.id ?? null))) applied.push(m);
	const rbs = applied.map((a) => a?.runbook ?? null);
	const withRunbook = rbs.filter((r): r is Runbook => r !== null);
	return {
		id,
		primary: matched[0] ?? null,
		applied,
		signatures: signatures.map(plain),
		amount,
		// no runbook at all counts too: without one, a replay needs an approver
		needsApproval: rbs.length === 0 || rbs.some((r) => replayNeedsApproval(r, amount)),
		autoRetry: rbs.some((r) => r === null || r.autoRetry.attempts === 0)
			? { attempts: 0, backoff: 0 }
			: { attempts: Math.min(...withRunbook.map((r) => r.autoRetry.attempts)), backoff: Math.max(...withRunbook.map((r) => r.autoRetry.backoff)) }
	};
}

/** Whether every runbook that ever applied allows the action (no runbook restricts nothing). */
export function governanceAllows(g: Governance, action: ActionName): boolean {
	return g.applied.every((a) => runbookAllows(a?.runbook ?? null, action));
}

/** The first runbook that ever applied and does not allow the action, for the refusal's reason. */
export function forbiddingRunbook(g: Governance, action: ActionName): Runbook | null {
	return g.applied.find((a) => a && !runbookAllows(a.runbook, action))?.runbook ?? null;
}

function describePolicy(rb: Runbook | null, amount: number | null): string {
	if (!rb) return 'no runbook (every replay needs an approver)';
	const a = rb.replay.approval === 'amount' ? `approval above ${rb.replay.amountAbove}` : `approval ${rb.replay.approval}`;
	return `runbook ${rb.id} (${a}${replayNeedsApproval(rb, amount) ? ', needs an approver' : ', no approver'})`;
}

interface Change {
	id: string;
	before: Governance;
	after: Governance;
	added: { signature: Signature; runbook: Runbook | null }[];
}

/** Signatures in order, each once. */
function distinct<T extends Signature>(rows: T[]): T[] {
	const seen = new Set<string>();
	return rows.filter((r) => !seen.has(keyOf(r)) && !!seen.add(keyOf(r)));
}

/**
 * The governance of each exception in `ids`. With `record`, signatures not yet in the ledger are
 * written to it, and each one that brings a runbook the exception was not governed by before is
 * recorded in the audit log as a `policy_change` (businessKey from `keys`).
 */
export async function governanceOf(ids: string[], opts: { record?: boolean; keys?: Map<string, string> } = {}): Promise<Map<string, Governance>> {
	// recording runs one at a time in this process, so two actions at once record a change once
	return opts.record ? recording(() => evaluate(ids, opts)) : evaluate(ids, opts);
}

let queue: Promise<unknown> = Promise.resolve();
function recording<T>(fn: () => Promise<T>): Promise<T> {
	const run = queue.then(fn, fn);
	queue = run.catch(() => undefined);
	return run;
}

async function evaluate(ids: string[], opts: { record?: boolean; keys?: Map<string, string> }): Promise<Map<string, Governance>> {
	const unique = [...new Set(ids)];
	const [observed, recorded, books] = await Promise.all([observedSignatures(unique), recordedSignatures(unique), runbooks()]);
	const byId = (rows: SignatureRow[]) => {
		const m = new Map<string, SignatureRow[]>();
		for (const r of rows) m.set(r.id, [...(m.get(r.id) ?? []), r]);
		return m;
	};
	const [observedBy, recordedBy] = [byId(observed), byId(recorded)];
	const out = new Map<string, Governance>();
	const toRecord: SignatureRow[] = [];
	const changes: Change[] = [];
	for (const id of unique) {
		const allRecorded = recordedBy.get(id) ?? [];
		const rec = distinct(allRecorded);
		const obs = observedBy.get(id) ?? [];
		const known = new Set(rec.map(keyOf));
		const fresh = distinct(obs.filter((o) => !known.has(keyOf(o))));
		const recordedAmount = allRecorded.reduce<number | null>((m, r) => maxAmount(m, r.amount), null);
		const amount = obs.reduce<number | null>((m, r) => maxAmount(m, r.amount), recordedAmount);
		const after = strictest(id, [...rec, ...fresh], amount, books);
		if (after.signatures.length === 0) continue;
		out.set(id, after);
		if (!opts.record) continue;
		// a higher amount than recorded is kept as well: the row that carried it may be replaced later
		const amountRose = amount !== null && (recordedAmount === null || amount > recordedAmount);
		if (fresh.length) toRecord.push(...fresh.map((f) => ({ ...f, amount })));
		else if (amountRose) toRecord.push({ ...rec[0], amount });
		// the policy as it stood: what the ledger had, else (first record) the first signature observed
		const before = strictest(id, rec.length ? rec : fresh.slice(0, 1), amount, books);
		const added = (rec.length ? fresh : fresh.slice(1))
			.map((signature) => ({ signature, runbook: matchRunbook(books, signature)?.runbook ?? null }))
			.filter((a) => !before.applied.some((b) => (b?.runbook.id ?? null) === (a.runbook?.id ?? null)));
		if (added.length) changes.push({ id, before, after, added });
	}
	if (toRecord.length) {
		await db().insertRows(
			'exception_policy',
			toRecord.map((r) => ({ ExceptionId: r.id, Flow: r.flow, Step: r.step, ErrorClass: r.errorClass, ErrorCode: r.errorCode, Amount: r.amount, FirstAt: r.firstAt }))
		);
	}
	for (const c of changes) await auditChange(c, opts.keys?.get(c.id) ?? '');
	return out;
}

/** The governance of one exception (read only), or null if it has no failures. */
export async function governanceFor(id: string): Promise<Governance | null> {
	return (await governanceOf([id])).get(id) ?? null;
}

async function auditChange(c: Change, businessKey: string): Promise<void> {
	const from = c.before.primary?.runbook ?? null;
	const now = c.after;
	const what = (a: Change['added'][number]) => [a.signature.step, a.signature.errorClass, a.signature.errorCode].filter(Boolean).join('/');
	await appendAudit(async () => ({
		actor: 'system',
		role: 'system',
		action: 'policy_change',
		subjectType: 'exception',
		subjectId: c.id,
		businessKey,
		result: 'ok',
		comment:
			`telemetry would change the governing policy from ${describePolicy(from, now.amount)} to ` +
			`${c.added.map((a) => `${describePolicy(a.runbook, now.amount)} (failure ${what(a)})`).join(', ')}; ` +
			`the strictest policy that ever applied stays in force: a replay ${now.needsApproval ? 'needs an approver' : 'needs no approver'}`,
		data: {
			from: { runbook: from?.id ?? null, signatures: c.before.signatures.map(plain) },
			to: c.added.map((a) => ({ runbook: a.runbook?.id ?? null, signature: plain(a.signature) })),
			effective: {
				runbooks: now.applied.map((a) => a?.runbook.id ?? null),
				needsApproval: now.needsApproval,
				amount: now.amount,
				autoRetry: now.autoRetry
			}
		}
	}));
}

const plain = (s: Signature): Signature => ({ flow: s.flow, step: s.step, errorClass: s.errorClass, errorCode: s.errorCode });
