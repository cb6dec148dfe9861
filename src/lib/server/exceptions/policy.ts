/** Runbook-derived rules: which actions are allowed, and whether a replay needs an approver. */
import type { Runbook } from '../runbooks/schema';
import type { ActionName } from './state';

const ALWAYS: ActionName[] = ['assign', 'comment'];

export function runbookAllows(runbook: Runbook | null, action: ActionName): boolean {
	if (!runbook || ALWAYS.includes(action)) return true;
	if (action === 'approve_replay' || action === 'reject_replay') return runbook.allowedActions.includes('request_replay');
	if (action === 'release') return runbook.allowedActions.includes('quarantine') || runbook.allowedActions.includes('release');
	return runbook.allowedActions.includes(action);
}

/** Without a runbook every replay needs an approver (the safe default). */
export function replayNeedsApproval(runbook: Runbook | null, amount: number | null): boolean {
	if (!runbook) return true;
	const p = runbook.replay;
	if (p.approval === 'always') return true;
	if (p.approval === 'never') return false;
	// an unknown amount cannot be shown to be under the threshold
	return amount === null || amount > (p.amountAbove ?? 0);
}
