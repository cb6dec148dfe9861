/**
 * Exception states and the actions that move between them. The state itself is derived (queries.ts):
 * the newest state-changing row of the audit log, overridden by telemetry (a later successful
 * delivery resolves; a new failure after a retry/replay reopens).
 */
export const STATES = [
	'open',
	'retrying',
	'quarantined',
	'awaiting_partner',
	'replay_requested',
	'replay_approved',
	'replayed',
	'resolved',
	'rejected',
	'discarded'
] as const;
export type ExceptionState = (typeof STATES)[number];

export const ACTIONS = [
	'retry',
	'quarantine',
	'release',
	'await_partner',
	'request_replay',
	'approve_replay',
	'reject_replay',
	'resolve',
	'discard',
	'assign',
	'comment'
] as const;
export type ActionName = (typeof ACTIONS)[number];

const ACTIVE: ExceptionState[] = ['open', 'retrying', 'quarantined', 'awaiting_partner', 'rejected'];

/** From which states an action may start, and where it leads (null: the state does not change). */
export const TRANSITIONS: Record<ActionName, { from: readonly ExceptionState[] | 'any'; to: ExceptionState | null }> = {
	retry: { from: ['open', 'awaiting_partner', 'rejected'], to: 'retrying' },
	quarantine: { from: ['open', 'retrying', 'awaiting_partner', 'rejected', 'replay_requested'], to: 'quarantined' },
	release: { from: ['quarantined'], to: 'open' },
	await_partner: { from: ['open', 'quarantined', 'rejected'], to: 'awaiting_partner' },
	request_replay: { from: ACTIVE, to: 'replay_requested' },
	approve_replay: { from: ['replay_requested'], to: 'replay_approved' },
	reject_replay: { from: ['replay_requested'], to: 'rejected' },
	resolve: { from: [...ACTIVE, 'replay_requested', 'replayed'], to: 'resolved' },
	discard: { from: [...ACTIVE, 'replay_requested', 'replayed'], to: 'discarded' },
	assign: { from: 'any', to: null },
	comment: { from: 'any', to: null }
};

/** Why `action` may not run in `state`, or null when it may. */
export function transitionError(action: ActionName, state: ExceptionState): string | null {
	const t = TRANSITIONS[action];
	if (t.from === 'any' || t.from.includes(state)) return null;
	return `cannot ${action.replace('_', ' ')} an exception that is ${state.replace('_', ' ')} (allowed from: ${t.from.join(', ')})`;
}

/** The actions that can start from this state (before runbook and role filtering). */
export function actionsFrom(state: ExceptionState): ActionName[] {
	return ACTIONS.filter((a) => transitionError(a, state) === null);
}

/** Actions that send something to the middleware. */
export const DELIVERING: ReadonlySet<ActionName> = new Set(['retry', 'approve_replay']);
