/**
 * The terminal's "what to try" guide: credentials for each role, and concrete business objects
 * from the data just generated (an order whose validation failed, a noisy supplier's PO).
 */
import { sql, type Db } from '../src/lib/server/db';
import type { DemoUser } from './provision';
import { DEMO_NAMESPACE } from './telemetry';

/** How many demo spans the store holds: the backfill runs only on a data dir without any. */
export async function demoSpanCount(db: Db): Promise<number> {
	const rows = await db.query<{ n: number }>(
		sql`SELECT count() AS n FROM otel_traces WHERE ResourceAttributes['service.namespace'] = ${{ String: DEMO_NAMESPACE }}`
	);
	return Number(rows[0]?.n ?? 0);
}

export interface Featured {
	order?: { id: string; code: string; amount: number; currency: string };
	latePo?: { id: string; partner: string };
}

/**
 * An order that failed validation or the ERP's credit check and never reached the ERP, a credit hold
 * first (its runbook always wants an approver), then the largest; UOM_MISSING is skipped (its payload
 * stays invalid on replay). And a PO of the noisy supplier.
 */
export async function featured(db: Db): Promise<Featured> {
	const ns = { String: DEMO_NAMESPACE };
	const [orders, pos] = await Promise.all([
		db.query<{ id: string; code: string; amount: number; currency: string }>(sql`
			SELECT SpanAttributes['integration.correlation_id'] AS id, SpanAttributes['integration.error.code'] AS code,
			       toFloat64OrZero(SpanAttributes['integration.amount']) AS amount, SpanAttributes['integration.currency'] AS currency
			FROM otel_traces
			WHERE ResourceAttributes['service.namespace'] = ${ns}
			  AND SpanAttributes['integration.step'] IN ('mw.validate-order', 'erp.create-sales-order')
			  AND SpanAttributes['integration.outcome'] = 'failed'
			  AND SpanAttributes['integration.error.class'] != 'transport'
			  AND SpanAttributes['integration.error.code'] != 'UOM_MISSING'
			  AND SpanAttributes['integration.correlation_id'] NOT IN (
			      SELECT SpanAttributes['integration.correlation_id'] FROM otel_traces
			      WHERE ResourceAttributes['service.namespace'] = ${ns}
			        AND SpanAttributes['integration.step'] = 'erp.create-sales-order'
			        AND SpanAttributes['integration.outcome'] = 'success')
			ORDER BY code = 'CREDIT_HOLD' DESC, amount DESC, id
			LIMIT 1`),
		db.query<{ id: string; partner: string }>(sql`
			SELECT SpanAttributes['integration.entity.id'] AS id, SpanAttributes['integration.partner'] AS partner
			FROM otel_traces
			WHERE ResourceAttributes['service.namespace'] = ${ns}
			  AND SpanAttributes['integration.step'] = 'supplier.send-po'
			  AND SpanAttributes['integration.partner'] = 'supplier:northwind'
			ORDER BY Timestamp DESC
			LIMIT 1`)
	]);
	return { order: orders[0], latePo: pos[0] };
}

export function guide(o: { consoleUrl: string; users: DemoUser[]; featured: Featured; warnings: string[] }): string {
	const who = (role: DemoUser['role']) => o.users.find((u) => u.role === role)!;
	const lines = [
		'',
		'Demo users (demo mode only; passwords are kept in the data dir, demo-state.json):',
		...o.users.map((u) => `  ${u.role.padEnd(9)} ${u.email.padEnd(26)} ${u.password}   ${u.persona}`),
		'',
		`What to try (${o.consoleUrl}):`
	];
	const order = o.featured.order;
	if (order) {
		lines.push(
			`  1. Sign in as ${who('operator').email} and search for ${order.id}: it never reached the ERP (${order.code}),`,
			`     ${Math.round(order.amount).toLocaleString('en-US')} ${order.currency} at stake. The lineage shows where it stopped and the dead letter.`
		);
	} else {
		lines.push(`  1. Sign in as ${who('operator').email} and search for an order number (SO-…) from the exceptions queue.`);
	}
	lines.push(
		`  2. Open Exceptions: failed messages with owner and runbook. Request a replay of ${order?.id ?? 'the order'}.`,
		`  3. Sign in as ${who('approver').email} (another browser profile) and approve the replay: the demo`,
		'     middleware receives the signed webhook, re-processes the order, and the exception resolves by',
		'     itself as the ERP sales order, allocation and CRM status appear in the lineage.',
		`  4. Dashboards: Northwind Fasteners (supplier:northwind) is the noisy partner${o.featured.latePo ? `, e.g. ${o.featured.latePo.id}` : ''}:`,
		'     late and missing acknowledgements, AS2 timeouts, ASNs without SSCC labels.',
		`  5. Sign in as ${who('viewer').email} for the executive view: SLA per flow against targets.`
	);
	if (o.warnings.length) lines.push('', 'Not set up:', ...o.warnings.map((w) => `  ! ${w}`));
	return lines.join('\n');
}
