/**
 * Zero-change adoption, end to end: a real Node-RED (npm) instrumented only by the standard
 * OpenTelemetry auto-instrumentation sends 50 orders' traces to the real collector; Syncscope is
 * configured only by files (tests/nodered/config: which header carries the order ID, a catalogue
 * flow matched by service and route, steps matched by span kind and name). Every order is found by
 * its plain ID, each failed order is exactly one exception with the order ID and the HTTP status,
 * and the declared flow's KPIs equal what was sent. A resent order that now succeeds resolves its
 * exception by itself.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { queryExceptions } from '../../src/lib/server/exceptions/queries';
import { parseCatalogue, setCatalogue } from '../../src/lib/server/flows/catalogue';
import { findLineage } from '../../src/lib/server/lineage';
import { fold } from '../../src/lib/server/sla/fold';
import { flowKpis } from '../../src/lib/server/sla/flow-kpis';
import { startHarness, type Harness } from '../collector/helpers';
import { plannedOrders, sendOrders, startNodeRed, type PlannedOrder } from './harness';

const CONFIG = fileURLToPath(new URL('./config/', import.meta.url));
const ORDERS = plannedOrders(50);
const FAILED = ORDERS.filter((o) => o.status !== 201);

let h: Harness;
let from: Date;
let statuses: number[];

async function runNodeRed(orders: readonly PlannedOrder[]): Promise<number[]> {
	const red = await startNodeRed({ otlpEndpoint: h.base, orders });
	try {
		return await sendOrders(red.url, orders);
	} finally {
		await red.stop(); // flushes the SDK's last batch
	}
}

beforeAll(async () => {
	process.env.SYNCSCOPE_FLOWS = `${CONFIG}flows.yaml`;
	process.env.SYNCSCOPE_INTERPRETATION = `${CONFIG}interpretation.yaml`;
	setCatalogue(parseCatalogue(readFileSync(`${CONFIG}flows.yaml`, 'utf8')));
	h = await startHarness();
	from = new Date(Date.now() - 60_000);
	statuses = await runNodeRed(ORDERS);
}, 120_000);

afterAll(async () => {
	await h?.stop();
	delete process.env.SYNCSCOPE_FLOWS;
	delete process.env.SYNCSCOPE_INTERPRETATION;
});

describe('Node-RED with standard OpenTelemetry instrumentation, configuration only', () => {
	it('relayed every order (38 created, 6 × 422, 6 × 503)', () => {
		expect(statuses).toEqual(ORDERS.map((o) => o.status));
		expect(FAILED).toHaveLength(12);
	});

	it('finds every order by its plain ID, with the ERP call in its lineage', async () => {
		let found = 0;
		for (const o of ORDERS) {
			const l = await findLineage(o.id);
			const server = l.spans.find((s) => s.kind === 'Server' && s.flow === 'order-intake');
			const client = l.spans.find((s) => s.kind === 'Client');
			if (server && client && l.matchedAs.includes('correlation_id')) found++;
		}
		expect(found).toBe(ORDERS.length);
	});

	it('makes each failed order exactly one exception, with the order ID, step and HTTP status', async () => {
		const rows = await queryExceptions({});
		expect(rows).toHaveLength(FAILED.length);
		for (const o of FAILED) {
			const mine = rows.filter((r) => r.correlationId === o.id);
			expect(mine, o.id).toHaveLength(1);
			expect(mine[0]).toMatchObject({
				flow: 'order-intake',
				step: 'erp.create-order',
				errorCode: `HTTP ${o.status}`,
				errorClass: o.status === 422 ? 'validation' : 'transport'
			});
		}
	});

	it('gives the declared flow KPIs equal to what was sent; the failing step is the ERP call', async () => {
		await fold(h.t.db);
		const flow = parseCatalogue(readFileSync(`${CONFIG}flows.yaml`, 'utf8')).flows[0];
		const k = await flowKpis(flow, { from, to: new Date(Date.now() + 60_000), now: new Date() }, h.t.db);
		expect({ total: k.total, succeeded: k.succeeded, failed: k.failed }).toEqual({ total: 50, succeeded: 38, failed: 12 });
		const blamed = await h.t.db.query<{ Step: string; n: number }>(
			sql`SELECT Step, count() AS n FROM sla_transactions FINAL WHERE Flow = 'order-intake' AND Outcome = 'failed' AND Deleted = 0 GROUP BY Step`
		);
		expect(blamed).toEqual([{ Step: 'erp.create-order', n: 12 }]);
	});

	it('resolves an exception by itself when the order is resent and the ERP accepts it', async () => {
		const retried = { ...FAILED.find((o) => o.status === 503)!, status: 201 as const };
		expect(await runNodeRed([retried])).toEqual([201]);
		const [row] = (await queryExceptions({})).filter((r) => r.correlationId === retried.id);
		expect(row.state).toBe('resolved');
	});
});
