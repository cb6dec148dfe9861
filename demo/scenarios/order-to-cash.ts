/**
 * Order to cash: CRM order → middleware validation → ERP sales order → stocked lines allocated in
 * the WMS, drop-ship lines sent to suppliers as POs (EDI 850) → ERP posting → status back to the
 * CRM, in one trace; the suppliers' acknowledgements and ASNs arrive later in their own traces.
 */
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { WAREHOUSES, supplierById } from '../master-data';
import { HOUR, SECOND, deliver, down, message, transient, type Redelivery, type ScenarioContext } from '../scenario';
import { SERVICES, type StepResult, type StepSpec } from '../telemetry';
import { creditCheck, drawOrder, dropShipGroups, validateOrder, type SalesOrder } from './orders';
import { sendPo, type PurchaseOrder } from './supplier';

const FLOW = 'order-to-cash';

function base(ctx: ScenarioContext, o: SalesOrder, step: string, service: StepSpec['service'], source: string, target: string, parent: SpanContext | undefined, key: string, r: Redelivery = {}) {
	return {
		service,
		flow: FLOW,
		step,
		parent,
		correlationId: o.orderNumber,
		source,
		target,
		entityType: 'sales_order',
		entityId: o.orderNumber,
		...(r.key ?? message(ctx, key)),
		amount: o.total,
		currency: o.currency,
		partner: `customer:${o.customer.id}`
	};
}

const gap = (ctx: ScenarioContext, medianMs: number) => ctx.rng.logNormal(medianMs, 0.6);

/** A new order at `t`: the whole in-trace chain, plus a duplicate submission now and then. */
export function startOrder(ctx: ScenarioContext, t: number): void {
	const { order, defect } = drawOrder(ctx.rng, ctx.ids.take('SO'), t);
	const submit = ctx.tel.step({
		...base(ctx, order, 'crm.submit-order', SERVICES.crm, 'crm', 'middleware', undefined, `crm:${order.orderNumber}`),
		kind: SpanKind.PRODUCER,
		start: t,
		durationMs: gap(ctx, 180),
		attributes: { 'order.channel': order.channel, 'order.lines': order.lines.length }
	});
	const v = validate(ctx, order, submit.context, submit.end + gap(ctx, 150));
	const so = v.ok ? createSalesOrder(ctx, order, v.context, v.end + gap(ctx, 400)) : v;
	// Credit released, tax mapping or UOM conversion added: sales ops resubmit the same order.
	if (!so.ok && so.spec.error?.class !== 'transport' && defect !== 'uom-missing' && ctx.rng.chance(0.55))
		ctx.later(so.end + ctx.rng.logNormal(3 * HOUR, 0.7), (at) => resubmit(ctx, order, at));
	// The CRM resends now and then (a rep's double click, a CRM retry after a slow response).
	if (ctx.rng.chance(0.018)) ctx.later(t + ctx.rng.between(20 * SECOND, 600 * SECOND), (at) => duplicateSubmission(ctx, order, at));
}

/** mw.validate-order: customer status, ship-to tax jurisdiction, UOM and pricing. */
export function validate(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const error = validateOrder(o, r.fixed);
	return deliver(ctx, { ...base(ctx, o, 'mw.validate-order', SERVICES.o2c, 'crm', 'middleware', parent, `order:${o.orderNumber}`, r), kind: SpanKind.CONSUMER }, {
		start,
		medianMs: 120,
		firstAttempt: r.attempt,
		failures: error ? [error] : [],
		payload: o
	});
}

/** The same order (same idempotency key, a new message) after the reference data was fixed. */
function resubmit(ctx: ScenarioContext, o: SalesOrder, at: number): void {
	const submit = ctx.tel.step({
		...base(ctx, o, 'crm.submit-order', SERVICES.crm, 'crm', 'middleware', undefined, `crm:${o.orderNumber}`),
		kind: SpanKind.PRODUCER,
		start: at,
		durationMs: gap(ctx, 180),
		attributes: { 'order.channel': o.channel, 'order.resubmitted': true }
	});
	const v = validate(ctx, o, submit.context, submit.end + gap(ctx, 150), { fixed: true });
	if (v.ok) createSalesOrder(ctx, o, v.context, v.end + gap(ctx, 400), { fixed: true });
}

/** The CRM sends an order it already sent: the idempotency key blocks it (outcome duplicate). */
function duplicateSubmission(ctx: ScenarioContext, o: SalesOrder, at: number): void {
	const submit = ctx.tel.step({
		...base(ctx, o, 'crm.submit-order', SERVICES.crm, 'crm', 'middleware', undefined, `crm:${o.orderNumber}`),
		kind: SpanKind.PRODUCER,
		start: at,
		durationMs: gap(ctx, 180),
		attributes: { 'order.channel': o.channel, 'order.resubmitted': true }
	});
	ctx.tel.step({
		...base(ctx, o, 'mw.validate-order', SERVICES.o2c, 'crm', 'middleware', submit.context, `order:${o.orderNumber}`),
		kind: SpanKind.CONSUMER,
		start: submit.end + gap(ctx, 150),
		durationMs: gap(ctx, 15),
		outcome: 'duplicate',
		error: { class: 'duplicate', code: 'IDEMPOTENCY_KEY_SEEN', message: `order ${o.orderNumber} was already accepted; resubmission ignored` }
	});
}

/** erp.create-sales-order: the ERP's credit check, and 503s now and then and throughout an outage. */
export function createSalesOrder(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const credit = creditCheck(o, r.fixed);
	const failures = r.fixed
		? []
		: transient(ctx, { p: 0.04, outage: down(ctx, 'erp', start), error: { class: 'transport', code: 'HTTP_503', message: 'SAP gateway: service unavailable (ERP)' } });
	// the ERP checks credit once it answers: after any 503s
	if (credit && failures.length < 3) failures.push(credit);
	const so = deliver(ctx, { ...base(ctx, o, 'erp.create-sales-order', SERVICES.erp, 'middleware', 'erp', parent, `erp-so:${o.orderNumber}`, r), kind: SpanKind.CLIENT }, {
		start,
		medianMs: 900,
		firstAttempt: r.attempt,
		failures,
		payload: o
	});
	if (so.ok) fulfil(ctx, o, so.context, so.end + gap(ctx, 1500));
	return so;
}

/**
 * Split: stocked lines to the WMS, drop-ship lines to their suppliers; then post and tell the CRM.
 * A replayed allocation continues `afterAllocation`.
 */
export function fulfil(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext, start: number, afterAllocation = false): void {
	let t = start;
	if (!afterAllocation && o.lines.some((l) => l.fulfilment === 'stock')) {
		const a = allocate(ctx, o, parent, t);
		if (!a.ok) return;
		t = a.end + gap(ctx, 800);
	}
	for (const [supplierId, lines] of dropShipGroups(o)) {
		const s = supplierById(supplierId);
		const po: PurchaseOrder = {
			poNumber: ctx.ids.take('PO'),
			salesOrder: o.orderNumber,
			supplier: { id: s.id, name: s.name },
			shipTo: o.shipTo,
			currency: o.currency,
			lines: lines.map((l, i) => ({ line: (i + 1) * 10, sku: l.sku, qty: l.qty, uom: l.uom, unitCost: Math.round(l.unitPrice * 72) / 100 })),
			total: Math.round(lines.reduce((sum, l) => sum + l.qty * l.unitPrice * 0.72, 0) * 100) / 100,
			issuedAt: new Date(t).toISOString()
		};
		const sent = sendPo(ctx, { flow: FLOW, correlationId: o.orderNumber, po, dropShip: true }, parent, t);
		t = sent.end + gap(ctx, 600);
	}
	post(ctx, o, parent, t);
}

/** wms.allocate: stocked lines reserved at the nearest DC (a WMS timeout now and then). */
export function allocate(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const failures = r.fixed ? [] : transient(ctx, { p: 0.012, error: { class: 'transport', code: 'WMS_TIMEOUT', message: 'WMS allocation API did not answer within 30 s' } });
	const backordered = o.lines.filter((l) => l.fulfilment === 'stock' && ctx.rng.chance(0.04)).length;
	return deliver(
		ctx,
		{
			...base(ctx, o, 'wms.allocate', SERVICES.wms, 'erp', 'wms', parent, `alloc:${o.orderNumber}`, r),
			kind: SpanKind.CLIENT,
			attributes: { 'wms.warehouse': WAREHOUSES[o.shipTo.postalCode.charCodeAt(0) % WAREHOUSES.length], 'wms.backordered_lines': backordered }
		},
		{ start, medianMs: 450, firstAttempt: r.attempt, failures, payload: o }
	);
}

/** erp.post-order then crm.update-status. */
export function post(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const failures = r.fixed
		? []
		: transient(ctx, { p: 0.01, outage: down(ctx, 'erp', start), error: { class: 'transport', code: 'HTTP_503', message: 'SAP gateway: service unavailable (ERP)' } });
	const p = deliver(ctx, { ...base(ctx, o, 'erp.post-order', SERVICES.erp, 'middleware', 'erp', parent, `post:${o.orderNumber}`, r), kind: SpanKind.CLIENT }, {
		start,
		medianMs: 700,
		firstAttempt: r.attempt,
		failures,
		payload: o
	});
	if (p.ok) updateStatus(ctx, o, p.context, p.end + gap(ctx, 500));
	return p;
}

/** crm.update-status: the CRM API's request limit trips now and then; the retry gets through. */
export function updateStatus(ctx: ScenarioContext, o: SalesOrder, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const failures = r.fixed ? [] : transient(ctx, { p: 0.02, error: { class: 'transport', code: 'REQUEST_LIMIT_EXCEEDED', message: 'CRM API: concurrent request limit exceeded' } });
	return deliver(
		ctx,
		{ ...base(ctx, o, 'crm.update-status', SERVICES.crm, 'erp', 'crm', parent, `status:${o.orderNumber}`, r), kind: SpanKind.CLIENT, attributes: { 'order.status': 'Confirmed' } },
		{ start, medianMs: 300, firstAttempt: r.attempt, failures, payload: o }
	);
}
