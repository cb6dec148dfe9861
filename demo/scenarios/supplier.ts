/**
 * The supplier side, shared by drop-ship orders (order-to-cash) and replenishment (procure-to-pay):
 * the PO goes out as EDI 850; the acknowledgement (855), the advance ship notice (856), the receipt
 * and the invoice (810) come back later, each in its own trace carrying the same correlation ID.
 * A supplier's `noise` scales its timeouts, late and missing acknowledgements and bad documents.
 */
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { sscc, supplierById, type Supplier } from '../master-data';
import { DAY, HOUR, MINUTE, deliver, message, transient, type Redelivery, type ScenarioContext } from '../scenario';
import type { AdvanceShipNotice, PurchaseOrder } from '../payloads';
import { SERVICES, type StepError, type StepResult } from '../telemetry';

export type { AdvanceShipNotice, PurchaseOrder };

/** Which flow the document belongs to and the ID that ties it to the business transaction. */
export interface SupplierThread {
	flow: 'order-to-cash' | 'procure-to-pay';
	correlationId: string;
	po: PurchaseOrder;
	/** drop-ship: no goods receipt at our DC; the invoice follows the ASN */
	dropShip: boolean;
}

const CARRIERS = ['UPS Freight', 'XPO Logistics', 'Estes Express', 'FedEx Freight', 'Old Dominion'];
const timeout = (s: Supplier): StepError => ({ class: 'transport', code: 'AS2_MDN_TIMEOUT', message: `no MDN from ${s.name} within 60 s` });

/** Value at stake; unknown when a replayed ASN arrives without its PO (the ASN names only the PO number). */
function money(po: PurchaseOrder): { amount?: number; currency?: string } {
	return Number.isFinite(po.total) ? { amount: po.total, currency: po.currency } : {};
}

function supplierOf(po: PurchaseOrder): Supplier {
	return supplierById(po.supplier.id);
}

/** EDI 850 out. On success the supplier's acknowledgement is scheduled (or, sometimes, never comes). */
export function sendPo(ctx: ScenarioContext, th: SupplierThread, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const s = supplierOf(th.po);
	const sent = deliver(
		ctx,
		{
			service: SERVICES.edi,
			flow: th.flow,
			step: 'supplier.send-po',
			parent,
			kind: SpanKind.PRODUCER,
			correlationId: th.correlationId,
			source: 'erp',
			target: s.partner,
			entityType: 'purchase_order',
			entityId: th.po.poNumber,
			...(r.key ?? message(ctx, `850:${th.po.poNumber}`)),
			...money(th.po),
			partner: s.partner,
			attributes: { 'edi.transaction_set': '850', 'edi.standard': 'X12 004010', 'network.protocol.name': 'as2' }
		},
		{ start, medianMs: 400, firstAttempt: r.attempt, payload: th.po, failures: r.fixed ? [] : transient(ctx, { p: Math.min(0.5, 0.02 * s.noise), error: timeout(s) }) }
	);
	if (sent.ok) scheduleAck(ctx, th, sent);
	return sent;
}

function scheduleAck(ctx: ScenarioContext, th: SupplierThread, sent: StepResult): void {
	const sentAt = sent.end;
	const s = supplierOf(th.po);
	if (ctx.rng.chance(Math.min(0.25, 0.012 * s.noise))) return; // the 855 never comes: the ack milestone breaches
	const delay = ctx.rng.logNormal(25 * MINUTE * s.noise ** 1.1, 0.8);
	const rejected = ctx.rng.chance(Math.min(0.1, 0.008 * s.noise));
	const key = message(ctx, `855:${th.po.poNumber}`);
	ctx.later(sentAt + delay, (at) => poAck(ctx, th, at, { key, rejected, link: sent.context }));
}

/** EDI 855 in, in its own trace. A rejection is dead-lettered with the PO, to re-send once fixed. */
export function poAck(
	ctx: ScenarioContext,
	th: SupplierThread,
	at: number,
	o: { key: { messageId: string; idempotencyKey: string }; rejected: boolean; attempt?: number; link?: SpanContext }
): StepResult {
	const s = supplierOf(th.po);
	const error: StepError | undefined = o.rejected
		? { class: 'business', code: 'PO_REJECTED', message: `${s.name} rejected ${th.po.poNumber}: item ${th.po.lines[0].sku} price or availability does not match the catalogue` }
		: undefined;
	const r = deliver(
		ctx,
		{
			service: SERVICES.edi,
			flow: th.flow,
			step: 'supplier.po-ack',
			kind: SpanKind.CONSUMER,
			// the gateway matches the 855 to the 850 it sent (by PO number) and links the two traces
			links: o.link ? [o.link] : undefined,
			correlationId: th.correlationId,
			source: s.partner,
			target: 'erp',
			entityType: 'purchase_order',
			entityId: th.po.poNumber,
			...o.key,
			...money(th.po),
			partner: s.partner,
			attributes: { 'edi.transaction_set': '855', 'edi.ack_status': o.rejected ? 'RD' : 'AC' }
		},
		{ start: at, medianMs: 250, firstAttempt: o.attempt, failures: error ? [error] : [], payload: th.po, finalOutcome: 'rejected' }
	);
	ctx.tel.ack(r, 'EDI 855', { 'edi.ack_status': o.rejected ? 'rejected' : 'accepted' });
	if (r.ok) scheduleAsn(ctx, th, r.end);
	return r;
}

function scheduleAsn(ctx: ScenarioContext, th: SupplierThread, ackAt: number): void {
	const s = supplierOf(th.po);
	const at = ackAt + ctx.rng.logNormal(1.1 * DAY * (1 + (s.noise - 1) * 0.15), 0.45);
	const asn: AdvanceShipNotice = {
		asnNumber: ctx.ids.take('ASN'),
		poNumber: th.po.poNumber,
		...(th.po.salesOrder ? { salesOrder: th.po.salesOrder } : {}),
		supplier: s.id,
		// the supplier sends the 856 at ship confirmation, give or take its EDI batch
		shippedAt: new Date(at - ctx.rng.int(10, 90) * MINUTE).toISOString(),
		carrier: ctx.rng.pick(CARRIERS),
		packages: th.po.lines.map((l) => ({ sscc: sscc(ctx.rng.int(1, 999_999_999)), lines: [{ sku: l.sku, qty: l.qty }] }))
	};
	// A noisy partner sends malformed ASNs (missing SSCC); most of them resend a corrected one.
	const bad = ctx.rng.chance(Math.min(0.3, 0.015 * s.noise));
	if (bad) asn.packages[0].sscc = '';
	const key = message(ctx, `856:${asn.asnNumber}`);
	ctx.later(at, (t) => {
		const r = receiveAsn(ctx, th, asn, t, key);
		if (!r.ok && ctx.rng.chance(0.7)) {
			const fixed = { ...asn, packages: asn.packages.map((p) => ({ ...p, sscc: p.sscc || sscc(ctx.rng.int(1, 999_999_999)) })) };
			ctx.later(t + ctx.rng.logNormal(3 * HOUR, 0.5), (t2) => receiveAsn(ctx, th, fixed, t2, message(ctx, key.idempotencyKey)));
		}
	});
}

/** An ASN fails when a package has no SSCC: only the partner can fix that (awaiting partner). */
export function validateAsn(asn: AdvanceShipNotice): StepError | null {
	const p = asn.packages.find((x) => !/^\d{18}$/.test(x.sscc));
	return p ? { class: 'validation', code: 'ASN_SSCC_MISSING', message: `ASN ${asn.asnNumber}: package without a valid SSCC-18 label` } : null;
}

/** EDI 856 in, own trace, flow procure-to-pay (shipping documents are procurement's, also for drop-ship). */
export function receiveAsn(ctx: ScenarioContext, th: SupplierThread, asn: AdvanceShipNotice, at: number, key: { messageId: string; idempotencyKey: string }, attempt = 1): StepResult {
	const s = supplierOf(th.po);
	const error = validateAsn(asn);
	const r = deliver(
		ctx,
		{
			service: SERVICES.edi,
			flow: 'procure-to-pay',
			step: 'supplier.asn',
			kind: SpanKind.CONSUMER,
			correlationId: th.correlationId,
			source: s.partner,
			target: 'wms',
			entityType: 'asn',
			entityId: asn.asnNumber,
			...key,
			...money(th.po),
			partner: s.partner,
			eventTime: Date.parse(asn.shippedAt),
			attributes: { 'edi.transaction_set': '856', 'purchase_order.id': th.po.poNumber, carrier: asn.carrier }
		},
		{ start: at, medianMs: 300, firstAttempt: attempt, failures: error ? [error] : [], payload: asn }
	);
	if (r.ok) {
		ctx.tel.ack(r, 'EDI 856');
		const next = r.end + ctx.rng.logNormal(th.dropShip ? 1.5 * DAY : 1.8 * DAY, 0.35);
		ctx.later(next, (t) => (th.dropShip ? matchInvoice(ctx, th, t) : receiveGoods(ctx, th, asn, t)));
	}
	return r;
}

/** Goods received at the DC against the ASN (own trace). */
export function receiveGoods(ctx: ScenarioContext, th: SupplierThread, asn: AdvanceShipNotice, at: number, r: Redelivery = {}): StepResult {
	const s = supplierOf(th.po);
	const variance = !r.fixed && ctx.rng.chance(0.01 * Math.sqrt(s.noise));
	const error: StepError | undefined = variance
		? { class: 'business', code: 'RECEIPT_QTY_VARIANCE', message: `received ${th.po.lines[0].qty - 1} of ${th.po.lines[0].qty} ${th.po.lines[0].sku} against ${asn.asnNumber}` }
		: undefined;
	const received = deliver(
		ctx,
		{
			service: SERVICES.wms,
			flow: 'procure-to-pay',
			step: 'wms.receive',
			kind: SpanKind.CONSUMER,
			correlationId: th.correlationId,
			source: 'wms',
			target: 'erp',
			entityType: 'asn',
			entityId: asn.asnNumber,
			...(r.key ?? message(ctx, `receipt:${asn.asnNumber}`)),
			...money(th.po),
			partner: s.partner,
			attributes: { 'purchase_order.id': th.po.poNumber, 'wms.dock': `${th.po.shipTo.id}-D${ctx.rng.int(1, 12)}` }
		},
		{ start: at, medianMs: 600, firstAttempt: r.attempt, failures: error ? [error] : [], payload: asn }
	);
	// The receipt is booked even with a variance; the invoice match catches the difference.
	if (!r.fixed) ctx.later(received.end + ctx.rng.logNormal(0.8 * DAY, 0.5), (t) => matchInvoice(ctx, th, t));
	return received;
}

/** EDI 810 matched three-way in the ERP (own trace). Price variances go to accounts payable. */
export function matchInvoice(ctx: ScenarioContext, th: SupplierThread, at: number, r: Redelivery = {}): StepResult {
	const s = supplierOf(th.po);
	const invoice = `INV-${th.po.poNumber.slice(3)}`;
	const variance = !r.fixed && ctx.rng.chance(Math.min(0.2, 0.015 * s.noise));
	const error: StepError | undefined = variance
		? { class: 'business', code: 'PRICE_VARIANCE', message: `invoice ${invoice} exceeds PO ${th.po.poNumber} by more than the 2% tolerance` }
		: undefined;
	return deliver(
		ctx,
		{
			service: SERVICES.erp,
			flow: 'procure-to-pay',
			step: 'erp.match-invoice',
			kind: SpanKind.CLIENT,
			correlationId: th.correlationId,
			source: s.partner,
			target: 'erp',
			entityType: 'invoice',
			entityId: invoice,
			...(r.key ?? message(ctx, `810:${invoice}`)),
			...money(th.po),
			partner: s.partner,
			attributes: { 'edi.transaction_set': '810', 'purchase_order.id': th.po.poNumber }
		},
		{ start: at, medianMs: 700, firstAttempt: r.attempt, failures: error ? [error] : [], payload: { invoice, po: th.po } }
	);
}
