/**
 * The sales order as the CRM sends it (the payload a dead letter keeps and a replay re-sends), how
 * the simulator draws one, and the middleware's validation of it.
 */
import { CUSTOMERS, ITEMS, UNMAPPED_SHIP_TO, itemBySku, type Customer, type Item } from '../master-data';
import type { Rng } from '../random';
import type { OrderLine, SalesOrder } from '../payloads';
import type { StepError } from '../telemetry';

export type { OrderLine, SalesOrder };

/** What the simulator injects into an order so that validation fails the way it does in real life. */
export type OrderDefect = 'credit-hold' | 'tax-jurisdiction' | 'uom-conversion' | 'uom-missing' | 'price-mismatch' | null;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Credit-hold customers order less often: their reps know. */
function pickCustomer(rng: Rng): Customer {
	return rng.weighted(CUSTOMERS.map((c) => [c, c.creditHold ? 0.25 : c.country === 'CA' ? 0.7 : 1] as const));
}

/** Draw an order. Some are big project orders (transformers, rooftop units), most are replenishment. */
export function drawOrder(rng: Rng, orderNumber: string, at: number): { order: SalesOrder; defect: OrderDefect } {
	const project = rng.chance(0.04);
	let customer = pickCustomer(rng);
	const defect: OrderDefect = customer.creditHold
		? 'credit-hold'
		: rng.weighted<OrderDefect>([
				[null, 0.968],
				['tax-jurisdiction', 0.008],
				['uom-conversion', 0.012],
				['uom-missing', 0.004],
				['price-mismatch', 0.008]
			]);
	if (defect === 'tax-jurisdiction' && customer.country !== 'US') customer = CUSTOMERS[0];
	const pool = project ? ITEMS : ITEMS.filter((i) => i.stocked || rng.chance(0.15));
	const lineCount = rng.weighted([[1, 3], [2, 3], [3, 2], [4, 1], [6, 0.5]] as const);
	const lines: OrderLine[] = [];
	const used = new Set<string>();
	for (let n = 0; n < lineCount; n++) {
		const item: Item = rng.pick(pool);
		if (used.has(item.sku)) continue;
		used.add(item.sku);
		const qty = item.price > 1000 ? rng.int(1, project ? 6 : 2) : rng.int(2, project ? 400 : 60);
		lines.push({
			line: (lines.length + 1) * 10,
			sku: item.sku,
			description: item.description,
			qty,
			uom: item.uom,
			unitPrice: round2(item.price * (customer.currency === 'CAD' ? 1.36 : 1)),
			fulfilment: item.stocked ? 'stock' : 'drop-ship',
			supplier: item.supplier
		});
	}
	const shipTo = defect === 'tax-jurisdiction' ? UNMAPPED_SHIP_TO : rng.pick(customer.shipTo);
	if (defect === 'uom-conversion') lines[0].uom = 'PL';
	if (defect === 'uom-missing') lines[lines.length - 1].uom = '';
	if (defect === 'price-mismatch') lines[0].unitPrice = round2(lines[0].unitPrice * rng.between(0.55, 0.8));
	const order: SalesOrder = {
		orderNumber,
		customer: { id: customer.id, name: customer.name },
		shipTo,
		currency: customer.currency,
		lines,
		total: round2(lines.reduce((s, l) => s + l.qty * l.unitPrice, 0)),
		requestedDate: new Date(at + rng.int(2, 14) * 86_400_000).toISOString().slice(0, 10),
		submittedAt: new Date(at).toISOString(),
		channel: rng.weighted([['sales-rep', 4], ['b2b-portal', 5], ['edi-850', 2]] as const)
	};
	return { order, defect };
}

/**
 * The middleware's order validation. Checks against reference data (tax
 * jurisdictions, UOM conversions, price lists) pass once `referenceFixed`: a replay runs after the
 * operator fixed the reference data, as the runbook says. A malformed order fails either way.
 */
export function validateOrder(o: SalesOrder, referenceFixed = false): StepError | null {
	if (!o.lines.length) return { class: 'validation', code: 'ORDER_EMPTY', message: `order ${o.orderNumber} has no lines` };
	for (const l of o.lines) {
		if (!l.uom) return { class: 'validation', code: 'UOM_MISSING', message: `line ${l.line} (${l.sku}) has no unit of measure` };
		if (!(l.qty > 0)) return { class: 'validation', code: 'QTY_INVALID', message: `line ${l.line} quantity ${l.qty} is not positive` };
	}
	if (referenceFixed) return null;
	const customer = CUSTOMERS.find((c) => c.id === o.customer.id);
	if (!customer) return { class: 'validation', code: 'CUSTOMER_UNKNOWN', message: `customer ${o.customer.id} is not in the ERP` };
	if (o.shipTo.postalCode === UNMAPPED_SHIP_TO.postalCode)
		return { class: 'validation', code: 'TAX_JURISDICTION_UNKNOWN', message: `no tax jurisdiction for ship-to ${o.shipTo.id} ${o.shipTo.city} ${o.shipTo.region} ${o.shipTo.postalCode}` };
	for (const l of o.lines) {
		const item = itemBySku(l.sku);
		if (!item) return { class: 'validation', code: 'ITEM_UNKNOWN', message: `line ${l.line}: item ${l.sku} is not in the ERP` };
		if (l.uom !== item.uom && !item.altUoms.includes(l.uom))
			return { class: 'validation', code: 'UOM_CONVERSION_MISSING', message: `line ${l.line}: no conversion from ${l.uom} to ${item.uom} for ${l.sku}` };
		const list = item.price * (o.currency === 'CAD' ? 1.36 : 1);
		if (l.unitPrice < list * 0.85)
			return { class: 'business', code: 'PRICE_BELOW_FLOOR', message: `line ${l.line}: ${l.sku} at ${l.unitPrice} ${o.currency} is below the price floor ${round2(list * 0.85)}` };
	}
	return null;
}

/** The ERP's credit check when it creates the sales order (credit control releases holds). */
export function creditCheck(o: SalesOrder, released = false): StepError | null {
	const customer = CUSTOMERS.find((c) => c.id === o.customer.id);
	if (customer?.creditHold && !released)
		return { class: 'business', code: 'CREDIT_HOLD', message: `customer ${customer.id} ${customer.name} is on credit hold; ${o.orderNumber} (${o.total.toFixed(2)} ${o.currency}) blocked` };
	return null;
}

/** Drop-ship lines grouped by supplier: each group becomes one purchase order (EDI 850). */
export function dropShipGroups(o: SalesOrder): Map<string, OrderLine[]> {
	const groups = new Map<string, OrderLine[]>();
	for (const l of o.lines) if (l.fulfilment === 'drop-ship') groups.set(l.supplier, [...(groups.get(l.supplier) ?? []), l]);
	return groups;
}
