/**
 * What the middleware does with a replay or retry webhook: parse the dead-lettered payload, run the
 * failed step again with the same message ID and idempotency key (the next attempt number), and —
 * when it now succeeds — carry on with the rest of the flow, as the real integration would.
 */
import { z } from 'zod';
import { asnSchema, customerChangeSchema, invoiceSchema, itemChangeSchema, purchaseOrderSchema, salesOrderSchema, stockAdjustmentSchema } from './payloads';
import type { Redelivery, ScenarioContext } from './scenario';
import { publishAvailability, updateOnHand } from './scenarios/inventory-sync';
import { enrichItem, upsertCustomer, upsertItem, validateCustomer } from './scenarios/master-sync';
import { allocate, createSalesOrder, fulfil, post, updateStatus, validate } from './scenarios/order-to-cash';
import { releasePo } from './scenarios/procure-to-pay';
import { matchInvoice, poAck, receiveAsn, receiveGoods, sendPo, type SupplierThread } from './scenarios/supplier';
import type { StepResult } from './telemetry';

/** The webhook's `data`, as docs/contracts.md defines it (fields this side needs). */
export const actionDataSchema = z.object({
	deliveryId: z.string().optional(),
	action: z.enum(['replay', 'retry']),
	exceptionId: z.string().optional(),
	flow: z.string(),
	step: z.string(),
	correlationId: z.string(),
	messageId: z.string(),
	idempotencyKey: z.string(),
	target: z.string().optional(),
	payload: z.string(),
	payloadSha256: z.string().optional(),
	requestedBy: z.string().optional(),
	approvedBy: z.string().nullish()
});
export type ActionData = z.infer<typeof actionDataSchema>;

export class UnsupportedStepError extends Error {}
export class PayloadError extends Error {}

type Handler = (ctx: ScenarioContext, body: unknown, d: ActionData, at: number, r: Redelivery) => StepResult;

function thread(d: ActionData, po: z.infer<typeof purchaseOrderSchema>): SupplierThread {
	return { flow: d.flow as SupplierThread['flow'], correlationId: d.correlationId, po, dropShip: po.salesOrder !== undefined };
}

/** An ASN names its PO by number only: what is known of the PO without the ERP. */
function asnThread(d: ActionData, asn: z.infer<typeof asnSchema>): SupplierThread {
	const po = { poNumber: asn.poNumber, salesOrder: asn.salesOrder, supplier: { id: asn.supplier, name: asn.supplier }, shipTo: { id: '', city: '', region: '', postalCode: '' }, currency: 'USD', lines: asn.packages.flatMap((p) => p.lines.map((l, i) => ({ line: (i + 1) * 10, sku: l.sku, qty: l.qty, uom: '', unitCost: 0 }))), total: Number.NaN, issuedAt: '' };
	return { flow: 'procure-to-pay', correlationId: d.correlationId, po, dropShip: asn.salesOrder !== undefined };
}

const supplierSteps: Record<string, Handler> = {
	'supplier.send-po': (ctx, b, d, at, r) => sendPo(ctx, thread(d, purchaseOrderSchema.parse(b)), undefined, at, r),
	'supplier.po-ack': (ctx, b, d, at, r) => poAck(ctx, thread(d, purchaseOrderSchema.parse(b)), at, { key: r.key!, rejected: false, attempt: r.attempt })
};

const HANDLERS: Record<string, Record<string, Handler>> = {
	'order-to-cash': {
		'mw.validate-order': (ctx, b, _d, at, r) => {
			const order = salesOrderSchema.parse(b);
			const v = validate(ctx, order, undefined, at, r);
			if (v.ok) createSalesOrder(ctx, order, v.context, v.end + 400);
			return v;
		},
		'erp.create-sales-order': (ctx, b, _d, at, r) => createSalesOrder(ctx, salesOrderSchema.parse(b), undefined, at, r),
		'wms.allocate': (ctx, b, _d, at, r) => {
			const order = salesOrderSchema.parse(b);
			const a = allocate(ctx, order, undefined, at, r);
			if (a.ok) fulfil(ctx, order, a.context, a.end + 800, true);
			return a;
		},
		'erp.post-order': (ctx, b, _d, at, r) => post(ctx, salesOrderSchema.parse(b), undefined, at, r),
		'crm.update-status': (ctx, b, _d, at, r) => updateStatus(ctx, salesOrderSchema.parse(b), undefined, at, r),
		...supplierSteps
	},
	'procure-to-pay': {
		'erp.release-po': (ctx, b, _d, at, r) => releasePo(ctx, purchaseOrderSchema.parse(b), at, r),
		...supplierSteps,
		'supplier.asn': (ctx, b, d, at, r) => {
			const asn = asnSchema.parse(b);
			return receiveAsn(ctx, asnThread(d, asn), asn, at, r.key!, r.attempt);
		},
		'wms.receive': (ctx, b, d, at, r) => {
			const asn = asnSchema.parse(b);
			return receiveGoods(ctx, asnThread(d, asn), asn, at, r);
		},
		'erp.match-invoice': (ctx, b, d, at, r) => matchInvoice(ctx, thread(d, invoiceSchema.parse(b).po), at, r)
	},
	'inventory-sync': {
		'erp.update-onhand': (ctx, b, _d, at, r) => updateOnHand(ctx, stockAdjustmentSchema.parse(b), undefined, at, r),
		'ecommerce.publish-availability': (ctx, b, _d, at, r) => publishAvailability(ctx, stockAdjustmentSchema.parse(b), undefined, at, r)
	},
	'item-master': {
		'mw.enrich-item': (ctx, b, _d, at, r) => enrichItem(ctx, itemChangeSchema.parse(b), undefined, at, r),
		'wms.upsert-item': (ctx, b, _d, at, r) => upsertItem(ctx, itemChangeSchema.parse(b), 'wms.upsert-item', undefined, at, r),
		'ecommerce.upsert-item': (ctx, b, _d, at, r) => upsertItem(ctx, itemChangeSchema.parse(b), 'ecommerce.upsert-item', undefined, at, r)
	},
	'customer-master': {
		'mw.validate-customer': (ctx, b, _d, at, r) => validateCustomer(ctx, customerChangeSchema.parse(b), undefined, at, r),
		'erp.upsert-customer': (ctx, b, _d, at, r) => upsertCustomer(ctx, customerChangeSchema.parse(b), 'erp.upsert-customer', undefined, at, r),
		'ecommerce.upsert-customer': (ctx, b, _d, at, r) => upsertCustomer(ctx, customerChangeSchema.parse(b), 'ecommerce.upsert-customer', undefined, at, r)
	}
};

export interface ReprocessResult {
	ok: boolean;
	outcome: string;
	attempt: number;
	error?: string;
}

/**
 * Re-run the step a webhook names. Throws UnsupportedStepError for a step this estate cannot
 * replay and PayloadError for a payload it cannot read; a step that fails again is a result, not
 * an error: its telemetry (and a new dead letter) tell Syncscope.
 */
export function reprocess(ctx: ScenarioContext, d: ActionData, at: number): ReprocessResult {
	const handler = HANDLERS[d.flow]?.[d.step];
	if (!handler) throw new UnsupportedStepError(`no replay for ${d.flow} / ${d.step}`);
	let body: unknown;
	try {
		body = JSON.parse(d.payload);
	} catch {
		throw new PayloadError('payload is not JSON');
	}
	const attempt = (ctx.attempts.get(d.messageId) ?? 1) + 1;
	let r: StepResult;
	try {
		r = handler(ctx, body, d, at, { key: { messageId: d.messageId, idempotencyKey: d.idempotencyKey }, attempt, fixed: true });
	} catch (e) {
		if (e instanceof z.ZodError) throw new PayloadError(`payload does not match ${d.flow} / ${d.step}: ${e.issues[0]?.message ?? 'invalid'}`);
		throw e;
	}
	if (r.ok) ctx.attempts.delete(d.messageId);
	return { ok: r.ok, outcome: r.spec.outcome ?? 'success', attempt: r.spec.attempt ?? attempt, error: r.spec.error?.code };
}

/** Every (flow, step) a webhook can replay. */
export function replayableSteps(): { flow: string; step: string }[] {
	return Object.entries(HANDLERS).flatMap(([flow, steps]) => Object.keys(steps).map((step) => ({ flow, step })));
}
