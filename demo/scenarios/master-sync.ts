/**
 * Item and customer master data sync: ERP items (and CRM customers) are validated and enriched by
 * the MDM hub, then upserted into the WMS / ERP and the web shop.
 */
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { CUSTOMERS, ITEMS, validGtin } from '../master-data';
import { deliver, down, message, transient, type Redelivery, type ScenarioContext } from '../scenario';
import type { CustomerChange, ItemChange } from '../payloads';
import { SERVICES, type StepError, type StepResult, type StepSpec } from '../telemetry';

type Entity = { kind: 'item'; change: ItemChange } | { kind: 'customer'; change: CustomerChange };

function base(ctx: ScenarioContext, e: Entity, step: string, service: StepSpec['service'], source: string, target: string, parent: SpanContext | undefined, r: Redelivery = {}) {
	const id = e.kind === 'item' ? e.change.sku : e.change.customerId;
	return {
		service,
		flow: e.kind === 'item' ? 'item-master' : 'customer-master',
		step,
		parent,
		correlationId: e.change.changeId,
		source,
		target,
		entityType: e.kind,
		entityId: id,
		...(r.key ?? message(ctx, `${step}:${e.change.changeId}`)),
		eventTime: Date.parse(e.change.changedAt)
	};
}

const rateLimited: StepError = { class: 'transport', code: 'HTTP_429', message: 'commerce API: rate limit exceeded' };
const erp503: StepError = { class: 'transport', code: 'HTTP_503', message: 'SAP gateway: service unavailable (ERP)' };

export function startItemChange(ctx: ScenarioContext, t: number): void {
	const item = ctx.rng.pick(ITEMS);
	const change: ItemChange = {
		changeId: `${ctx.ids.take('CHG')}-I`,
		sku: item.sku,
		description: item.description,
		uom: ctx.rng.chance(0.015) ? '' : item.uom,
		// a mistyped GTIN from the product-data team: only a corrected resend from the ERP fixes it
		gtin: ctx.rng.chance(0.02) ? item.gtin.slice(0, 13) + String((Number(item.gtin[13]) + 1) % 10) : item.gtin,
		listPrice: Math.round(item.price * ctx.rng.between(0.97, 1.06) * 100) / 100,
		changedAt: new Date(t - ctx.rng.logNormal(20_000, 0.5)).toISOString()
	};
	const e: Entity = { kind: 'item', change };
	const pub = ctx.tel.step({ ...base(ctx, e, 'erp.publish-item', SERVICES.erp, 'erp', 'middleware', undefined), kind: SpanKind.PRODUCER, start: t, durationMs: ctx.rng.logNormal(90, 0.4) });
	enrichItem(ctx, change, pub.context, pub.end + ctx.rng.logNormal(250, 0.5));
}

/** mw.enrich-item: GTIN check digit and UOM. A missing UOM is defaulted from the ERP on replay. */
export function enrichItem(ctx: ScenarioContext, change: ItemChange, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const error: StepError | null = !validGtin(change.gtin)
		? { class: 'validation', code: 'GTIN_CHECK_DIGIT', message: `item ${change.sku}: GTIN ${change.gtin} fails its check digit` }
		: !change.uom && !r.fixed
			? { class: 'validation', code: 'UOM_MISSING', message: `item ${change.sku} has no base unit of measure` }
			: null;
	const e: Entity = { kind: 'item', change };
	const en = deliver(ctx, { ...base(ctx, e, 'mw.enrich-item', SERVICES.mdm, 'erp', 'middleware', parent, r), kind: SpanKind.CONSUMER }, {
		start,
		medianMs: 140,
		firstAttempt: r.attempt,
		failures: error ? [error] : [],
		payload: change
	});
	if (en.ok) upsertItem(ctx, change, 'wms.upsert-item', en.context, en.end + ctx.rng.logNormal(500, 0.5));
	return en;
}

/** wms.upsert-item, then ecommerce.upsert-item. */
export function upsertItem(ctx: ScenarioContext, change: ItemChange, step: 'wms.upsert-item' | 'ecommerce.upsert-item', parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const wms = step === 'wms.upsert-item';
	const failures = r.fixed ? [] : transient(ctx, wms ? { p: 0.01, error: { class: 'transport', code: 'WMS_TIMEOUT', message: 'WMS item API did not answer within 30 s' } } : { p: 0.03, outage: down(ctx, 'ecommerce', start), error: rateLimited });
	const u = deliver(
		ctx,
		{ ...base(ctx, { kind: 'item', change }, step, wms ? SERVICES.wms : SERVICES.commerce, 'middleware', wms ? 'wms' : 'ecommerce', parent, r), kind: SpanKind.CLIENT },
		{ start, medianMs: wms ? 400 : 300, firstAttempt: r.attempt, failures, payload: change }
	);
	if (u.ok && wms) upsertItem(ctx, change, 'ecommerce.upsert-item', u.context, u.end + ctx.rng.logNormal(600, 0.5));
	return u;
}

export function startCustomerChange(ctx: ScenarioContext, t: number): void {
	const c = ctx.rng.pick(CUSTOMERS);
	const change: CustomerChange = {
		changeId: `${ctx.ids.take('CHG')}-C`,
		customerId: c.id,
		name: c.name,
		country: c.country,
		// a new ship-to county the tax engine has not mapped yet
		taxJurisdiction: ctx.rng.chance(0.03) ? `${c.country}-XX-UNMAPPED` : c.taxJurisdiction,
		creditLimit: ctx.rng.chance(0.02) ? null : ctx.rng.int(5, 50) * 10_000,
		currency: c.currency,
		changedAt: new Date(t - ctx.rng.logNormal(15_000, 0.5)).toISOString()
	};
	const e: Entity = { kind: 'customer', change };
	const pub = ctx.tel.step({ ...base(ctx, e, 'crm.publish-customer', SERVICES.crm, 'crm', 'middleware', undefined), kind: SpanKind.PRODUCER, start: t, durationMs: ctx.rng.logNormal(110, 0.4) });
	validateCustomer(ctx, change, pub.context, pub.end + ctx.rng.logNormal(250, 0.5));
}

/** mw.validate-customer: tax jurisdiction and credit limit; both are reference data fixed before a replay. */
export function validateCustomer(ctx: ScenarioContext, change: CustomerChange, parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const error: StepError | null = r.fixed
		? null
		: change.taxJurisdiction.endsWith('UNMAPPED')
			? { class: 'validation', code: 'TAX_JURISDICTION_UNKNOWN', message: `customer ${change.customerId}: jurisdiction ${change.taxJurisdiction} is not mapped in the tax engine` }
			: change.creditLimit === null
				? { class: 'business', code: 'CREDIT_LIMIT_MISSING', message: `customer ${change.customerId} has no approved credit limit` }
				: null;
	const e: Entity = { kind: 'customer', change };
	const v = deliver(ctx, { ...base(ctx, e, 'mw.validate-customer', SERVICES.mdm, 'crm', 'middleware', parent, r), kind: SpanKind.CONSUMER }, {
		start,
		medianMs: 160,
		firstAttempt: r.attempt,
		failures: error ? [error] : [],
		payload: change
	});
	if (v.ok) upsertCustomer(ctx, change, 'erp.upsert-customer', v.context, v.end + ctx.rng.logNormal(400, 0.5));
	return v;
}

/** erp.upsert-customer, then ecommerce.upsert-customer. */
export function upsertCustomer(ctx: ScenarioContext, change: CustomerChange, step: 'erp.upsert-customer' | 'ecommerce.upsert-customer', parent: SpanContext | undefined, start: number, r: Redelivery = {}): StepResult {
	const erp = step === 'erp.upsert-customer';
	const failures = r.fixed ? [] : transient(ctx, erp ? { p: 0.03, outage: down(ctx, 'erp', start), error: erp503 } : { p: 0.03, outage: down(ctx, 'ecommerce', start), error: rateLimited });
	const u = deliver(
		ctx,
		{ ...base(ctx, { kind: 'customer', change }, step, erp ? SERVICES.erp : SERVICES.commerce, 'middleware', erp ? 'erp' : 'ecommerce', parent, r), kind: SpanKind.CLIENT },
		{ start, medianMs: erp ? 800 : 300, firstAttempt: r.attempt, failures, payload: change }
	);
	if (u.ok && erp) upsertCustomer(ctx, change, 'ecommerce.upsert-customer', u.context, u.end + ctx.rng.logNormal(600, 0.5));
	return u;
}
