/**
 * Procure to pay (replenishment): the ERP releases a PO to restock a DC, the EDI gateway sends it;
 * the acknowledgement, ASN, goods receipt and invoice follow in their own traces (scenarios/supplier.ts).
 */
import { SpanKind } from '@opentelemetry/api';
import { ITEMS, SUPPLIERS, WAREHOUSES } from '../master-data';
import { supplierById } from '../master-data';
import { deliver, down, message, transient, type Redelivery, type ScenarioContext } from '../scenario';
import { SERVICES, type StepResult } from '../telemetry';
import { sendPo, type PurchaseOrder } from './supplier';

const DC_ADDRESS: Record<string, { city: string; region: string; postalCode: string }> = {
	'DC-CHI': { city: 'Bolingbrook', region: 'IL', postalCode: '60440' },
	'DC-ATL': { city: 'McDonough', region: 'GA', postalCode: '30253' },
	'DC-DAL': { city: 'Lancaster', region: 'TX', postalCode: '75134' }
};

export function startReplenishment(ctx: ScenarioContext, t: number): void {
	// Suppliers with more stocked items get more POs; the noisy one is a big fastener supplier.
	const supplier = ctx.rng.weighted(SUPPLIERS.map((s) => [s, ITEMS.filter((i) => i.supplier === s.id && i.stocked).length + 0.5] as const));
	const items = ITEMS.filter((i) => i.supplier === supplier.id && i.stocked);
	const dc = ctx.rng.pick(WAREHOUSES);
	const lines = items
		.filter(() => ctx.rng.chance(0.6))
		.map((item, n) => ({ line: (n + 1) * 10, sku: item.sku, qty: ctx.rng.int(5, 40) * 10, uom: item.uom, unitCost: Math.round(item.price * 68) / 100 }));
	if (!lines.length) lines.push({ line: 10, sku: items[0].sku, qty: 100, uom: items[0].uom, unitCost: Math.round(items[0].price * 68) / 100 });
	const po: PurchaseOrder = {
		poNumber: ctx.ids.take('PO'),
		supplier: { id: supplier.id, name: supplier.name },
		shipTo: { id: dc, ...DC_ADDRESS[dc] },
		currency: 'USD',
		lines,
		total: Math.round(lines.reduce((s, l) => s + l.qty * l.unitCost, 0) * 100) / 100,
		issuedAt: new Date(t).toISOString()
	};
	releasePo(ctx, po, t);
}

/** erp.release-po, then the EDI 850 to the supplier. */
export function releasePo(ctx: ScenarioContext, po: PurchaseOrder, start: number, r: Redelivery = {}): StepResult {
	const released = deliver(
		ctx,
		{
			service: SERVICES.erp,
			flow: 'procure-to-pay',
			step: 'erp.release-po',
			kind: SpanKind.PRODUCER,
			correlationId: po.poNumber,
			source: 'erp',
			target: 'middleware',
			entityType: 'purchase_order',
			entityId: po.poNumber,
			...(r.key ?? message(ctx, `release:${po.poNumber}`)),
			amount: po.total,
			currency: po.currency,
			partner: supplierById(po.supplier.id).partner,
			attributes: { 'erp.plant': po.shipTo.id, 'erp.purchasing_group': 'P10' }
		},
		{
			start,
			medianMs: 350,
			firstAttempt: r.attempt,
			payload: po,
			failures: r.fixed
				? []
				: transient(ctx, { p: 0.01, outage: down(ctx, 'erp', start), error: { class: 'transport', code: 'HTTP_503', message: 'SAP gateway: service unavailable (ERP)' } })
		}
	);
	if (released.ok) sendPo(ctx, { flow: 'procure-to-pay', correlationId: po.poNumber, po, dropShip: false }, released.context, released.end + ctx.rng.logNormal(800, 0.5));
	return released;
}
