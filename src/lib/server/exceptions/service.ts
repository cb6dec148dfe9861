/**
 * Performing an action on an exception: role, runbook and transition checks, the audit row (which
 * is also the state change), then the delivery the action implies. Checks run inside the audit
 * append (audit/log.ts), so two approvers clicking at once (even in two processes) produce one
 * approval: the second re-reads, finds the state replay_approved and is refused with 409.
 *
 * The policy is the exception's governance (governance.ts): the strictest of every runbook that ever
 * applied to it, never just the one its newest failure matches. The actor is a person: an API token
 * acts as its creator (auth/tokens.ts), so requester ≠ approver holds across sessions and tokens; the
 * token's name is kept in the row's data (`via`). The answer is the state read back after the action.
 */
import { z } from 'zod';
import { logger } from '../log';
import { can } from '../auth/roles';
import type { SessionUser } from '../auth/types';
import { appendAudit, auditFor, type AuditInput, type AuditRow } from '../audit/log';
import { ActionError } from './errors';
import { bindingHash, currentBinding, MAX_EDITED_BYTES, requestData } from './binding';
import { getExceptionRow, type ExceptionRow } from './queries';
import { forbiddingRunbook, governanceAllows, governanceOf, governanceFor, type Governance } from './governance';
import { startDelivery } from './dispatch';
import { ACTIONS, transitionError, TRANSITIONS, type ActionName, type ExceptionState } from './state';

export const actionInput = z.object({
	action: z.enum(ACTIONS),
	comment: z.string().trim().max(4000).default(''),
	/** for assign: the new owner (an email or a team) */
	assignee: z.string().trim().max(200).optional(),
	/** for request_replay: the operator's correction of the dead-letter payload (edit-then-replay) */
	payload: z.string().max(2 * MAX_EDITED_BYTES).optional(),
	/** with `payload`: the SHA-256 of the dead letter the correction was made from; another one is refused */
	payloadBase: z.string().regex(/^[0-9a-f]{64}$/, 'payloadBase must be a SHA-256 in hex').optional(),
	/** for approve_replay: the hash of the payload the approver reviewed; another one is refused */
	payloadSha256: z.string().regex(/^[0-9a-f]{64}$/, 'payloadSha256 must be a SHA-256 in hex').optional()
});
export type ActionInput = z.input<typeof actionInput>;

export interface ActionResult {
	id: string;
	action: ActionName;
	state: ExceptionState;
	/** resolves when the delivery this action started has finished (tests, CLI); routes do not wait */
	delivery?: Promise<unknown>;
}

type Actor = Pick<SessionUser, 'email' | 'role'> & Partial<Pick<SessionUser, 'via' | 'token' | 'sso'>>;

/**
 * How the actor acted when not in person: `token:<name>` for an API token; and who vouched for them:
 * `sso: <provider>:<subject>` for a single sign-on session (both recorded with the row).
 */
function via(user: Actor): Record<string, string> {
	return {
		...(user.via === 'token' && user.token ? { via: `token:${user.token.name}` } : {}),
		...(user.sso ? { sso: `${user.sso.provider}:${user.sso.subject}` } : {})
	};
}

export function permissionFor(action: ActionName) {
	return action === 'approve_replay' || action === 'reject_replay' ? ('replay:approve' as const) : ('exceptions:act' as const);
}

/** The replay request an approval would answer: the newest request_replay row. */
export function pendingRequest(history: AuditRow[]): AuditRow | null {
	for (let i = history.length - 1; i >= 0; i--) {
		const r = history[i];
		if (r.Result !== 'ok') continue;
		if (r.Action === 'request_replay') return r;
	}
	return null;
}

/** Deliveries run after the response; a failure is logged, never an unhandled rejection. */
function background<T>(p: Promise<T>): Promise<T | null> {
	return p.catch((e) => {
		logger('exceptions').error('delivery failed unexpectedly', { err: e });
		return null;
	});
}

function refusal(e: unknown): ActionError | null {
	return e instanceof ActionError ? e : null;
}

/** Validate and perform one action; throws ActionError (403/404/409) with a reason, audited. */
export async function performAction(id: string, raw: ActionInput, user: Actor): Promise<ActionResult> {
	const input = actionInput.parse(raw);
	const action = input.action;
	// filled by the check inside the audit append (it may run more than once under contention)
	const ctx: { exc: ExceptionRow | null; gov: Governance | null; extra: Record<string, unknown>; hash: string } = {
		exc: null,
		gov: null,
		extra: {},
		hash: ''
	};
	try {
		if (!can(user, permissionFor(action))) throw new ActionError(403, `your role (${user.role}) may not ${action.replace('_', ' ')}`);
		if (action === 'assign' && !input.assignee) throw new ActionError(400, 'say whom to assign it to');
		if ((action === 'reject_replay' || action === 'discard') && !input.comment) throw new ActionError(400, `a reason is required to ${action.replace('_', ' ')}`);
		if (input.payload !== undefined && action !== 'request_replay') throw new ActionError(400, 'an edited payload goes with a replay request only');
		if (input.payloadSha256 !== undefined && action !== 'approve_replay') throw new ActionError(400, 'payloadSha256 goes with an approval only');
		// record the signatures telemetry brought since the policy was last looked at (and audit a change)
		const seen = await getExceptionRow(id);
		if (seen) await governanceOf([id], { record: true, keys: new Map([[id, seen.correlationId || seen.messageId || seen.idempotencyKey]]) });
		const row = await appendAudit(async (): Promise<AuditInput> => {
			const exc = (ctx.exc = await getExceptionRow(id));
			if (!exc) throw new ActionError(404, `no exception ${id}`);
			// read again inside the append: a failure that arrived meanwhile counts (it can only tighten)
			const gov = (ctx.gov = await governanceFor(id));
			if (gov && !governanceAllows(gov, action)) {
				throw new ActionError(403, `runbook ${forbiddingRunbook(gov, action)!.id} does not allow ${action.replace('_', ' ')} for this exception`);
			}
			const bad = transitionError(action, exc.state);
			if (bad) throw new ActionError(409, bad);
			const { extra, hash } = await actionChecks(action, exc, gov, user, input);
			ctx.extra = { ...extra, ...via(user) };
			ctx.hash = hash;
			if (action === 'assign') ctx.extra.assignee = input.assignee;
			return {
				actor: user.email,
				role: user.role,
				action,
				subjectType: 'exception',
				subjectId: id,
				businessKey: exc.correlationId || exc.messageId || exc.idempotencyKey,
				fromState: exc.state,
				toState: TRANSITIONS[action].to ?? '',
				comment: input.comment,
				payloadSha256: ctx.hash,
				result: 'ok',
				data: ctx.extra
			};
		});
		const exc = ctx.exc!;
		let start: (() => Promise<unknown>) | null = null;
		if (action === 'request_replay' && ctx.extra.needsApproval === false) {
			// every runbook that ever applied lets this replay through without a second person
			const approved = await performSystemApproval(id, row, ctx.gov!);
			start = () => startDelivery(exc, approved, row);
		} else if (action === 'approve_replay') {
			const request = (await auditFor('exception', id)).find((r) => r.ActionId === ctx.extra.requestActionId)!;
			start = () => startDelivery(exc, row, request);
		} else if (action === 'retry') {
			start = () => startDelivery(exc, row, row);
		}
		// answer the state the exception is in now, as derived from what was stored, never the state
		// the action aimed for (a newer failure, or a success, may decide otherwise)
		const after = await getExceptionRow(id);
		const result: ActionResult = { id, action, state: after?.state ?? exc.state };
		if (start) result.delivery = background(start());
		return result;
	} catch (e) {
		const r = refusal(e);
		if (r && r.status !== 404) {
			await appendAudit(async () => ({
				actor: user.email,
				role: user.role,
				action,
				subjectType: 'exception',
				subjectId: id,
				businessKey: ctx.exc?.correlationId ?? '',
				fromState: ctx.exc?.state ?? '',
				comment: input.comment,
				result: `refused: ${r.reason}`,
				...(Object.keys(via(user)).length ? { data: via(user) } : {})
			}));
		}
		throw e;
	}
}

/** Extra checks and recorded data per action (approval binding, requester ≠ approver). */
async function actionChecks(
	action: ActionName,
	exc: ExceptionRow,
	gov: Governance | null,
	user: Actor,
	input: z.output<typeof actionInput>
): Promise<{ extra: Record<string, unknown>; hash: string }> {
	if (action === 'request_replay') {
		const b = await currentBinding(exc.id, exc.flow, undefined, input.payload);
		if (typeof b === 'string') throw new ActionError(409, b);
		if (input.payload !== undefined && input.payloadBase && input.payloadBase !== b.originalSha256) {
			throw new ActionError(409, 'a newer dead letter arrived while you edited; reload the page and make the correction on it');
		}
		return {
			extra: {
				endpointId: b.endpoint.id,
				url: b.endpoint.url,
				binding: b.hash,
				// the audit keeps both: the dead letter's hash, and the corrected body with its hash (PayloadSha256)
				...(b.edited ? { edited: true, originalSha256: b.originalSha256, editedPayload: b.payload } : {}),
				// without a governance (no failure rows), the safe default: an approver is needed
				needsApproval: gov?.needsApproval ?? true,
				runbook: gov?.primary?.runbook.id ?? null,
				runbooks: gov?.applied.map((a) => a?.runbook.id ?? null) ?? [],
				amount: gov?.amount ?? exc.amount
			},
			hash: b.payloadSha256
		};
	}
	if (action === 'retry') {
		const b = await currentBinding(exc.id, exc.flow);
		// a retry may go out without a dead-letter payload (the middleware re-reads its own copy)
		if (typeof b === 'string' && !b.startsWith('there is no dead-letter')) throw new ActionError(409, b);
		return typeof b === 'string' ? { extra: {}, hash: '' } : { extra: { endpointId: b.endpoint.id, url: b.endpoint.url, binding: b.hash }, hash: b.payloadSha256 };
	}
	if (action === 'approve_replay' || action === 'reject_replay') {
		const request = pendingRequest(await auditFor('exception', exc.id));
		if (!request) throw new ActionError(409, 'there is no replay request to decide');
		// a token acts as its creator (auth/tokens.ts), so this is one person whichever way they signed in
		if (request.Actor === user.email) throw new ActionError(403, 'you requested this replay; a different person must approve or reject it (this applies to admins too)');
		const req = requestData(request);
		if (action === 'reject_replay') return { extra: { requestActionId: request.ActionId }, hash: request.PayloadSha256 };
		// the approver approves what they reviewed: a request that changed since is not theirs to approve
		if (input.payloadSha256 && input.payloadSha256 !== request.PayloadSha256) {
			throw new ActionError(409, 'the replay request changed since you reviewed it (another payload); review the request again');
		}
		const b = await currentBinding(exc.id, exc.flow, req.endpointId, req.editedPayload);
		if (typeof b === 'string') throw new ActionError(409, b);
		if (b.hash !== req.binding || b.payloadSha256 !== request.PayloadSha256) {
			throw new ActionError(409, 'the payload or the target changed since the replay was requested; the request is void, request the replay again');
		}
		return {
			extra: { requestActionId: request.ActionId, endpointId: req.endpointId, url: b.endpoint.url, binding: b.hash, ...(b.edited ? { edited: true, originalSha256: b.originalSha256 } : {}) },
			hash: b.payloadSha256
		};
	}
	return { extra: {}, hash: '' };
}

async function performSystemApproval(id: string, request: AuditRow, gov: Governance): Promise<AuditRow> {
	const req = requestData(request);
	const runbook = gov.primary!.runbook;
	return appendAudit(async () => ({
		actor: `policy:${runbook.id}`,
		role: 'system',
		action: 'approve_replay',
		subjectType: 'exception',
		subjectId: id,
		businessKey: request.BusinessKey,
		fromState: 'replay_requested',
		toState: 'replay_approved',
		comment: `no approval needed under runbook ${gov.applied.map((a) => a!.runbook.id).join(' and ')}`,
		payloadSha256: request.PayloadSha256,
		result: 'ok',
		data: { requestActionId: request.ActionId, endpointId: req.endpointId, url: req.url, binding: bindingHash(request.PayloadSha256, { id: req.endpointId, url: req.url }, req.originalSha256), ...(req.edited ? { edited: true, originalSha256: req.originalSha256 } : {}) }
	}));
}
