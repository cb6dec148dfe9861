/**
 * After an approval (or a retry) is recorded: send it through the action endpoint and record the
 * outcome as a system row in the audit log (delivered → replayed; failed or void → open). The
 * delivery id is derived from the request row, so every process computes the same Idempotency-Key.
 */
import { appendAudit, type AuditRow } from '../audit/log';
import { deliver, deliveryId, type DeliveryOutcome } from '../actions/delivery';
import { endpointForFlow } from '../actions/endpoints';
import { currentBinding, requestData } from './binding';
import { sha256Hex } from '../audit/canonical';
import { getExceptionRow, latestPayload, type ExceptionRow } from './queries';

interface RowData {
	endpointId?: string;
	binding?: string;
}

/** Deliver what `decision` (an approve_replay or retry row) asks for; resolves with the outcome. */
export async function startDelivery(exc: ExceptionRow, decision: AuditRow, request: AuditRow): Promise<DeliveryOutcome | null> {
	const isReplay = decision.Action === 'approve_replay';
	const data = JSON.parse(decision.Data || '{}') as RowData;
	const endpointId = data.endpointId ?? (await endpointForFlow(exc.flow))?.id;
	if (!endpointId) {
		await record(exc.id, decision, 'delivery_failed', `no enabled action endpoint serves flow ${exc.flow}`);
		return null;
	}
	// a replay sends what was approved: the operator's correction if the request carried one
	const edited = isReplay ? requestData(request).editedPayload : undefined;
	const payload = edited ?? (isReplay || data.binding ? ((await latestPayload(exc.id))?.payload ?? '') : '');
	if (isReplay && sha256Hex(payload) !== decision.PayloadSha256) {
		await record(exc.id, decision, 'approval_void', 'approval void: the payload to send is not the one approved');
		return null;
	}
	const outcome = await deliver({
		endpointId,
		data: {
			deliveryId: deliveryId(exc.id, request.ActionId),
			action: isReplay ? 'replay' : 'retry',
			exceptionId: exc.id,
			flow: exc.flow,
			step: exc.step,
			correlationId: exc.correlationId,
			messageId: exc.messageId,
			idempotencyKey: exc.idempotencyKey,
			target: exc.target,
			payload,
			payloadSha256: decision.PayloadSha256,
			requestedBy: request.Actor,
			approvedBy: isReplay ? decision.Actor : ''
		},
		precondition: data.binding
			? async () => {
					let b;
					try {
						b = await currentBinding(exc.id, exc.flow, endpointId, edited);
					} catch (e) {
						return `approval void: ${(e as Error).message}`;
					}
					if (typeof b === 'string') return `approval void: ${b}`;
					return b.hash === data.binding ? null : 'approval void: the payload or the target changed after approval';
				}
			: undefined
	});
	if (outcome.outcome === 'delivered') await record(exc.id, decision, 'delivered', `delivered (HTTP ${outcome.status}) after ${outcome.attempts} attempt(s)`);
	else if (outcome.outcome === 'void') await record(exc.id, decision, 'approval_void', outcome.error);
	else if (outcome.outcome === 'failed') await record(exc.id, decision, 'delivery_failed', outcome.error);
	return outcome;
}

/** A system row; it changes state only if the exception is still where the decision left it. */
async function record(id: string, decision: AuditRow, action: string, comment: string): Promise<void> {
	await appendAudit(async () => {
		const cur = await getExceptionRow(id);
		const from = cur?.state ?? '';
		let to = '';
		if (from === decision.ToState) {
			if (action === 'delivered') to = decision.Action === 'approve_replay' ? 'replayed' : '';
			else to = 'open';
		}
		return {
			actor: 'system',
			role: 'system',
			action,
			subjectType: 'exception',
			subjectId: id,
			businessKey: decision.BusinessKey,
			fromState: from,
			toState: to,
			comment,
			payloadSha256: decision.PayloadSha256,
			result: 'ok',
			data: { decisionActionId: decision.ActionId }
		};
	});
}
