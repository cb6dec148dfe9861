/**
 * Inventory sync: a WMS stock adjustment (cycle count, damage, receipt …) → ERP on-hand → web-shop
 * availability. The WMS batches its events, so each carries `integration.event_time` (when stock
 * actually moved) and the delay to processing is what the event-delay KPI measures.
 */
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { ITEMS, WAREHOUSES } from '../master-data';
import { SECOND, deliver, down, message, transient, type Redelivery, type ScenarioContext } from '../scenario';
import type { StockAdjustment } from '../payloads';
import { SERVICES, type StepResult, type StepSpec } from '../telemetry';

const FLOW = 'inventory-sync';

function base(ctx: ScenarioContext, a: StockAdjustment, step: string, service: StepSpec['service'], source: string, target: string, parent: SpanContext | undefined, key: string, r: Redelivery = {}) {
	return {
		service,
		flow: FLOW,
		step,
		parent,
		correlationId: a.adjustmentId,
		source,
		target,
		entityType: 'item',
		entityId: a.sku,
		...(r.key ?? message(ctx, key)),
		eventTime: Date.parse(a.occurredAt),
		attributes: { 'wms.warehouse': a.warehouse, 'inventory.delta': a.delta, 'inventory.reason': a.reason }
	};
}

export function startAdjustment(ctx: ScenarioContext, t: number): void {
	const item = ctx.rng.pick(ITEMS.filter((i) => i.stocked));
	const warehouse = ctx.rng.pick(WAREHOUSES);
	const reason = ctx.rng.weighted([['pick', 5], ['receipt', 2], ['cycle-count', 2], ['damage', 0.6], ['return', 0.8]] as const);
	const delta = reason === 'pick' || reason === 'damage' ? -ctx.rng.int(1, 40) : ctx.rng.int(1, 120);
	// The WMS publishes in batches: usually within a minute, sometimes a batch sits for many minutes.
	const delay = ctx.rng.chance(0.03) ? ctx.rng.logNormal(6 * 60 * SECOND, 0.6) : ctx.rng.logNormal(35 * SECOND, 0.7);
	const a: StockAdjustment = {
		adjustmentId: `${ctx.ids.take('ADJ')}-${warehouse.slice(3)}`,
		warehouse,
		sku: item.sku,
		delta,
		onHand: ctx.rng.int(40, 2400),
		reason,
		occurredAt: new Date(t - delay).toISOString()
	};
	const published = ctx.tel.step({
		...base(ctx, a, 'wms.adjust-stock', SERVICES.wms, 'wms', 'middleware', undefined, `adj:${a.adjustmentId}`),
		kind: SpanKind.PRODUCER,
		start: t,
		durationMs: ctx.rng.logNormal(60, 0.4)
	});
	updateOnHand(ctx, a, published.context, published.end + ctx.rng.logNormal(300, 0.5));
}

/** erp.update-onhand: ERP 503s (and outages) retried with back-off. */
export function updateOnHand(ctx: ScenarioContext, a: StockAdjustment, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const failures = r.fixed
		? []
		: transient(ctx, { p: 0.03, outage: down(ctx, 'erp', start), error: { class: 'transport', code: 'HTTP_503', message: 'SAP gateway: service unavailable (ERP)' } });
	const u = deliver(ctx, { ...base(ctx, a, 'erp.update-onhand', SERVICES.inventory, 'middleware', 'erp', parent, `onhand:${a.adjustmentId}`, r), kind: SpanKind.CLIENT }, {
		start,
		medianMs: 500,
		firstAttempt: r.attempt,
		failures,
		payload: a
	});
	if (u.ok) publishAvailability(ctx, a, u.context, u.end + ctx.rng.logNormal(400, 0.5));
	return u;
}

/** ecommerce.publish-availability: the web shop's API rate-limits bursts (429), and has its own outages. */
export function publishAvailability(ctx: ScenarioContext, a: StockAdjustment, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const failures = r.fixed
		? []
		: transient(ctx, { p: 0.025, outage: down(ctx, 'ecommerce', start), error: { class: 'transport', code: 'HTTP_429', message: 'commerce API: rate limit exceeded' } });
	return deliver(ctx, { ...base(ctx, a, 'ecommerce.publish-availability', SERVICES.commerce, 'middleware', 'ecommerce', parent, `avail:${a.adjustmentId}`, r), kind: SpanKind.CLIENT }, {
		start,
		medianMs: 250,
		firstAttempt: r.attempt,
		failures,
		payload: a
	});
}
