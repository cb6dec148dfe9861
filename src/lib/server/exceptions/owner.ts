/** Who owns an exception: an explicit assignee, else the matched runbook's team, else the flow's technical owner. */
import { findFlow } from '../flows/catalogue';
import type { Runbook } from '../runbooks/schema';

export function ownerOf(assignee: string, runbook: Runbook | null, flow: string): string {
	if (assignee) return assignee;
	if (runbook) return runbook.owner.team;
	try {
		return findFlow(flow)?.technicalOwner ?? '';
	} catch {
		// no catalogue file: the owner stays unknown rather than failing the queue
		return '';
	}
}
