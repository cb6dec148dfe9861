/** Everything the detail page shows for one exception, assembled from the domain's queries. */
import { can, PERMISSIONS } from '../auth/roles';
import { listUsers } from '../auth/users';
import { sha256Hex } from '../audit/canonical';
import type { SessionUser } from '../auth/types';
import { auditFor, type AuditRow } from '../audit/log';
import { deliveryLog, type DeliveryLogRow } from '../actions/delivery';
import { renderInstructions } from '../runbooks/render';
import { failureEvents, getExceptionRow, latestPayload, type ExceptionRow, type FailureEvent } from './queries';
import { ownerOf } from './owner';
import { governanceAllows, governanceFor } from './governance';
import { pendingRequest, permissionFor } from './service';
import { actionsFrom, type ActionName } from './state';
import { currentBinding, MAX_EDITED_BYTES, requestData } from './binding';
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
	pending: {
		requestedBy: string;
		at: string;
		comment: string;
		/** the hash of what an approval would send (the approver's form carries it back) */
		payloadSha256: string;
		/** the operator's correction, when the request carries one; the page diffs it against the original */
		edited: string | null;
		originalSha256: string | null;
	} | null;
	/** the dead letter's SHA-256, and whether the page may offer to edit it before a replay */
	payloadSha256: string | null;
	editable: boolean;
	actions: ActionName[];
	/** the action the runbook and state point to next (one of `actions`), or null */
	recommended: ActionName | null;
	/** for someone who cannot act: the enabled users who can (email), per permission */
	whomToAsk: { act: string[]; approve: string[] } | null;
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

/** Which action is the next step, in this order of preference, among those offered. */
const NEXT_STEP: ActionName[] = ['approve_replay', 'request_replay', 'retry', 'release', 'resolve'];

/** The enabled people who hold each permission an exception's next step needs. */
async function whoCan(): Promise<{ act: string[]; approve: string[] }> {
	const users = (await listUsers()).filter((u) => !u.disabled);
	const holders = (p: 'exceptions:act' | 'replay:approve') => users.filter((u) => (PERMISSIONS[p] as readonly string[]).includes(u.role)).map((u) => u.email).sort();
	return { act: holders('exceptions:act'), approve: holders('replay:approve') };
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
	const recommended = NEXT_STEP.find((a) => actions.includes(a)) ?? null;
	const cannotAct = !can(user, 'exceptions:act') || (row.state === 'replay_requested' && !actions.includes('approve_replay'));
	const whomToAsk = cannotAct ? await whoCan() : null;
	const req = request ? requestData(request) : null;
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
		pending: request
			? { requestedBy: request.Actor, at: request.At, comment: request.Comment, payloadSha256: request.PayloadSha256, edited: req?.editedPayload ?? null, originalSha256: req?.originalSha256 ?? null }
			: null,
		payloadSha256: payload ? sha256Hex(payload.payload) : null,
		editable: !!payload && !isTruncated(payload.payload) && Buffer.byteLength(payload.payload) <= MAX_EDITED_BYTES && actions.includes('request_replay'),
		actions,
		recommended,
		whomToAsk,
		unavailable,
		timeline,
		deliveries
	};
}
