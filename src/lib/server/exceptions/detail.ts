/** Everything the detail page shows for one exception, assembled from the domain's queries. */
import { can } from '../auth/roles';
import type { SessionUser } from '../auth/types';
import { auditFor, type AuditRow } from '../audit/log';
import { deliveryLog, type DeliveryLogRow } from '../actions/delivery';
import { renderInstructions } from '../runbooks/render';
import { failureEvents, getExceptionRow, latestPayload, type ExceptionRow, type FailureEvent } from './queries';
import { ownerOf } from './owner';
import { governanceAllows, governanceFor } from './governance';
import { pendingRequest, permissionFor } from './service';
import { actionsFrom, type ActionName } from './state';
import { currentBinding } from './binding';
import { isTruncated } from '../truncation';
import { endpointForFlow } from '../actions/endpoints';

export interface TimelineEntry {
	at: string;
	kind: 'failure' | 'dead_letter' | 'action' | 'refused' | 'system' | 'resolved';
	text: string;
	actor?: string;
	role?: string;
	comment?: string;
	traceId?: string;
}

export interface ExceptionDetail {
	exception: ExceptionRow & { owner: string };
	/** the dead letter's payload, at most PREVIEW_BYTES of it (`bytes` is its whole size; the page links the rest) */
	payload: { payload: string; at: string; traceId: string; bytes: number; previewOnly: boolean; cutAtIngest: boolean } | null;
	runbook: { id: string; title: string; version: number; team: string; escalation: string[]; html: string; autoRetry: { attempts: number; backoff: number }; approval: string } | null;
	/** other runbooks that applied to this exception at some point; the strictest of all governs */
	alsoGoverning: string[];
	needsApproval: boolean;
	pending: { requestedBy: string; at: string; comment: string } | null;
	actions: ActionName[];
	/** actions the state and role would allow but that cannot work for this exception, and why */
	unavailable: { action: ActionName; reason: string }[];
	timeline: TimelineEntry[];
	deliveries: DeliveryLogRow[];
}

function describe(r: AuditRow): TimelineEntry {
	const kind = r.Result !== 'ok' ? 'refused' : r.Role === 'system' ? 'system' : 'action';
	const verb = r.Action.replaceAll('_', ' ');
	const move = r.ToState && r.ToState !== r.FromState ? ` (${r.FromState.replaceAll('_', ' ')} → ${r.ToState.replaceAll('_', ' ')})` : '';
	const text = r.Result === 'ok' ? `${verb}${move}` : `${verb} ${r.Result}`;
	return { at: r.At, kind, text, actor: r.Actor, role: r.Role, comment: r.Comment || undefined };
}

function failureText(f: FailureEvent): TimelineEntry {
	const code = [f.errorClass, f.errorCode].filter(Boolean).join('/');
	return f.signal === 'log'
		? { at: f.timestamp.slice(0, 23), kind: 'dead_letter', text: `dead letter from ${f.service}${code ? ` (${code})` : ''}`, traceId: f.traceId }
		: { at: f.timestamp.slice(0, 23), kind: 'failure', text: `${f.step} ${f.outcome || 'failed'} in ${f.service}${code ? ` (${code})` : ''}${f.errorMessage ? `: ${f.errorMessage}` : ''}`, traceId: f.traceId };
}

/** How much of a payload the page carries: a large dead letter is linked, not inlined (a 1 MiB payload made a 2 MiB page). */
export const PREVIEW_BYTES = 64 * 1024;

function preview(p: { payload: string; at: string; traceId: string }): NonNullable<ExceptionDetail['payload']> {
	const bytes = Buffer.byteLength(p.payload);
	const previewOnly = bytes > PREVIEW_BYTES;
	let text = p.payload;
	if (previewOnly) {
		const b = Buffer.from(p.payload);
		let cut = PREVIEW_BYTES;
		while (cut > 0 && (b[cut] & 0xc0) === 0x80) cut--;
		text = b.toString('utf8', 0, cut);
	}
	return { ...p, payload: text, bytes, previewOnly, cutAtIngest: isTruncated(p.payload) };
}

export async function exceptionDetail(id: string, user: SessionUser): Promise<ExceptionDetail | null> {
	const row = await getExceptionRow(id);
	if (!row) return null;
	const [gov, payload, history, failures, deliveries] = await Promise.all([governanceFor(id), latestPayload(id), auditFor('exception', id), failureEvents(id), deliveryLog(id)]);
	// the runbook the exception's policy was fixed by; what may be done is the strictest of all that applied
	const loaded = gov?.primary ?? null;
	const rb = loaded?.runbook ?? null;
	const request = row.state === 'replay_requested' ? pendingRequest(history) : null;
	const permitted = actionsFrom(row.state).filter(
		(a) => (!gov || governanceAllows(gov, a)) && can(user, permissionFor(a)) && !(request && request.Actor === user.email && (a === 'approve_replay' || a === 'reject_replay'))
	);
	// only offer what can work: a replay needs a dead-letter payload and an endpoint, a retry an endpoint
	const binding = permitted.includes('request_replay') ? await currentBinding(id, row.flow) : null;
	const endpoint = permitted.includes('retry') ? await endpointForFlow(row.flow) : null;
	const whyNot = (a: ActionName): string | null => {
		if (a === 'request_replay' && typeof binding === 'string') return binding;
		if (a === 'retry' && !endpoint) return `a retry is delivered through an action endpoint, and no enabled one serves flow ${row.flow || '(none)'}`;
		return null;
	};
	const unavailable = permitted.flatMap((a) => {
		const reason = whyNot(a);
		return reason ? [{ action: a, reason }] : [];
	});
	const actions = permitted.filter((a) => !unavailable.some((u) => u.action === a));
	const timeline: TimelineEntry[] = [...failures.map(failureText), ...history.map(describe)];
	if (row.resolvedAt) {
		timeline.push({ at: row.resolvedAt.slice(0, 23), kind: 'resolved', text: `resolved by successful delivery at ${row.resolvedAt.slice(0, 19)} (trace ${row.resolvedTraceId})`, traceId: row.resolvedTraceId ?? undefined });
	}
	timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
	return {
		exception: { ...row, owner: ownerOf(row.assignee, rb, row.flow) },
		payload: payload && preview(payload),
		runbook: loaded && rb
			? { id: rb.id, title: rb.title, version: loaded.version, team: rb.owner.team, escalation: rb.owner.escalation, html: renderInstructions(rb.instructions), autoRetry: rb.autoRetry, approval: rb.replay.approval === 'amount' ? `above ${rb.replay.amountAbove}` : rb.replay.approval }
			: null,
		alsoGoverning: (gov?.applied ?? []).filter((a) => a !== loaded).map((a) => a?.runbook.id ?? '(no runbook)'),
		needsApproval: gov?.needsApproval ?? true,
		pending: request ? { requestedBy: request.Actor, at: request.At, comment: request.Comment } : null,
		actions,
		unavailable,
		timeline,
		deliveries
	};
}
