/** Pick the runbook for an exception: every field a runbook names must match; most fields named wins. */
import type { Runbook } from './schema';

export interface MatchTarget {
	flow: string;
	step: string;
	errorClass: string;
	errorCode: string;
}

export function specificity(r: Runbook): number {
	// weights make step beat flow, and code beat class, when the counts tie
	const m = r.match;
	return (m.flow ? 8 : 0) + (m.step ? 16 : 0) + (m.errorClass ? 2 : 0) + (m.errorCode ? 4 : 0);
}

export function matches(r: Runbook, t: MatchTarget): boolean {
	const m = r.match;
	return (
		(!m.flow || m.flow === t.flow) &&
		(!m.step || m.step === t.step) &&
		(!m.errorClass || m.errorClass === t.errorClass) &&
		(!m.errorCode || m.errorCode === t.errorCode)
	);
}

export function matchRunbook<T extends { runbook: Runbook }>(list: readonly T[], t: MatchTarget): T | null {
	let best: T | null = null;
	for (const l of list) {
		if (!matches(l.runbook, t)) continue;
		if (!best || specificity(l.runbook) > specificity(best.runbook)) best = l;
	}
	return best;
}
