/**
 * The business messages the estate exchanges. A dead letter's body is one of these as JSON, and a
 * replay webhook hands it back: the schemas check it at that edge, and the types come from them.
 */
import { z } from 'zod';

const address = z.object({ id: z.string(), city: z.string(), region: z.string(), postalCode: z.string() });

export const salesOrderSchema = z.object({
	orderNumber: z.string().regex(/^SO-\d+$/),
	customer: z.object({ id: z.string(), name: z.string() }),
	shipTo: address,
	currency: z.string().length(3),
	lines: z.array(
		z.object({
			line: z.number().int(),
			sku: z.string(),
			description: z.string(),
			qty: z.number(),
			uom: z.string(),
			unitPrice: z.number(),
			fulfilment: z.enum(['stock', 'drop-ship']),
			supplier: z.string()
		})
	),
	total: z.number(),
	requestedDate: z.string(),
	submittedAt: z.string(),
	channel: z.enum(['sales-rep', 'b2b-portal', 'edi-850'])
});
export type SalesOrder = z.infer<typeof salesOrderSchema>;
export type OrderLine = SalesOrder['lines'][number];

export const purchaseOrderSchema = z.object({
	poNumber: z.string().regex(/^PO-\d+$/),
	salesOrder: z.string().optional(),
	supplier: z.object({ id: z.string(), name: z.string() }),
	shipTo: address,
	currency: z.string().length(3),
	lines: z.array(z.object({ line: z.number().int(), sku: z.string(), qty: z.number(), uom: z.string(), unitCost: z.number() })).min(1),
	total: z.number(),
	issuedAt: z.string()
});
export type PurchaseOrder = z.infer<typeof purchaseOrderSchema>;

export const asnSchema = z.object({
	asnNumber: z.string().regex(/^ASN-\d+$/),
	poNumber: z.string(),
	/** the sales order of a drop-ship shipment */
	salesOrder: z.string().optional(),
	supplier: z.string(),
	shippedAt: z.string(),
	carrier: z.string(),
	packages: z.array(z.object({ sscc: z.string(), lines: z.array(z.object({ sku: z.string(), qty: z.number() })) })).min(1)
});
export type AdvanceShipNotice = z.infer<typeof asnSchema>;

export const invoiceSchema = z.object({ invoice: z.string(), po: purchaseOrderSchema });
export type InvoiceMessage = z.infer<typeof invoiceSchema>;

export const stockAdjustmentSchema = z.object({
	adjustmentId: z.string(),
	warehouse: z.string(),
	sku: z.string(),
	delta: z.number(),
	onHand: z.number(),
	reason: z.enum(['cycle-count', 'damage', 'receipt', 'pick', 'return']),
	occurredAt: z.string()
});
export type StockAdjustment = z.infer<typeof stockAdjustmentSchema>;

export const itemChangeSchema = z.object({
	changeId: z.string(),
	sku: z.string(),
	description: z.string(),
	uom: z.string(),
	gtin: z.string(),
	listPrice: z.number(),
	changedAt: z.string()
});
export type ItemChange = z.infer<typeof itemChangeSchema>;

export const customerChangeSchema = z.object({
	changeId: z.string(),
	customerId: z.string(),
	name: z.string(),
	country: z.string(),
	taxJurisdiction: z.string(),
	creditLimit: z.number().nullable(),
	currency: z.string().length(3),
	changedAt: z.string()
});
export type CustomerChange = z.infer<typeof customerChangeSchema>;
