/**
 * The exceptions of one business key, for the lineage page: each failure with its state, owner,
 * runbook and what this user may do next, and what people (and deliveries) did about them, in order.
 * The lineage domain does not read exception tables: its page asks this module.
 */
import { can } from '../auth/roles';
import type { SessionUser } from '../auth/types';
import { db, sql } from '../db';
import { governanceAllows, governanceOf } from './governance';
import { ownerOf } from './owner';
import { queryExceptions } from './queries';
import { permissionFor } from './service';
import { actionsFrom, type ActionName, type ExceptionState } from './state';

export interface KeyFailure {
	id: string;
	flow: string;
	step: string;
	state: ExceptionState;
	errorClass: string;
	errorCode: string;
	errorMessage: string;
	lastSeen: string;
	attempts: number;
	owner: string;
	runbook: { id: string; title: string } | null;
	/** what this user could do on the exception's page now (before payload and endpoint checks) */
	actions: ActionName[];
}

export interface KeyAction {
	at: string;
	exceptionId: string;
	step: string;
	action: string;
	actor: string;
	comment: string;
}

/** The human (and delivery) actions shown on a lineage: requested, approved, delivered, resolved… */
const SHOWN = ['retry', 'quarantine', 'release', 'await_partner', 'request_replay', 'approve_replay', 'reject_replay', 'delivered', 'delivery_failed', 'approval_void', 'resolve', 'discard', 'assign'];

/** At most this many exceptions per key (a key with more is a bulk problem: the queue handles it). */
const CAP = 50;

export async function failuresForKey(key: string, user: SessionUser): Promise<{ failures: KeyFailure[]; actions: KeyAction[] }> {
	const rows = await queryExceptions({ key }, CAP);
	if (rows.length === 0) return { failures: [], actions: [] };
	const ids = rows.map((r) => r.id);
	const [gov, audit] = await Promise.all([
		governanceOf(ids),
		db().query<{ At: string; SubjectId: string; Action: string; Actor: string; Comment: string }>(
			sql`SELECT At, SubjectId, Action, Actor, Comment FROM audit_log
				WHERE SubjectType = 'exception' AND SubjectId IN ${{ 'Array(String)': ids }} AND Result = 'ok' AND Action IN ${{ 'Array(String)': SHOWN }}
				ORDER BY Seq`
		)
	]);
	const stepOf = new Map(rows.map((r) => [r.id, r.step]));
	const failures = rows
		.map((r): KeyFailure => {
			const g = gov.get(r.id) ?? null;
			const rb = g?.primary?.runbook ?? null;
			return {
				id: r.id,
				flow: r.flow,
				step: r.step,
				state: r.state,
				errorClass: r.errorClass,
				errorCode: r.errorCode,
				errorMessage: r.errorMessage,
				lastSeen: r.lastSeen,
				attempts: r.attempts,
				owner: ownerOf(r.assignee, rb, r.flow),
				runbook: rb ? { id: rb.id, title: rb.title } : null,
				actions: actionsFrom(r.state).filter((a) => a !== 'comment' && a !== 'assign' && (!g || governanceAllows(g, a)) && can(user, permissionFor(a)))
			};
		})
		.sort((a, b) => (a.lastSeen < b.lastSeen ? -1 : 1));
	const actions = audit.map((a) => ({ at: a.At, exceptionId: a.SubjectId, step: stepOf.get(a.SubjectId) ?? '', action: a.Action, actor: a.Actor, comment: a.Comment }));
	return { failures, actions };
}
