/** Action webhook deliveries show up in the console's Prometheus metrics, one count per attempt. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from '../exceptions/setup';
import { startReceiver, type Receiver } from '../exceptions/receiver';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { deliver } from '../../src/lib/server/actions/delivery';
import { actionDeliveries, actionDeliveryDuration } from '../../src/lib/server/console-metrics';
import { exposition } from '../../src/lib/server/metrics';

let t: TestDb;
let rx: Receiver;
let secret = '';
let endpointId = '';
beforeAll(async () => {
	t = await exceptionsDb();
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ id: endpointId, secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
});
afterAll(async () => {
	await rx?.close();
	await t?.cleanup();
});

it('counts each delivery attempt by action and outcome, and times it', async () => {
	rx.statuses.push(503);
	const r = await deliver({
		endpointId,
		data: {
			deliveryId: 'dlv_metrics', action: 'replay', exceptionId: 'exc-metrics', flow: 'order-to-cash', step: 'erp.create-sales-order',
			correlationId: 'SO-9', messageId: 'm9', idempotencyKey: '', target: 'erp', payload: '{}', payloadSha256: '', requestedBy: 'op@example.com', approvedBy: 'lead@example.com'
		}
	});
	expect(r).toMatchObject({ outcome: 'delivered', attempts: 2 });
	expect(actionDeliveries.get({ action: 'replay', outcome: 'failed' })).toBe(1);
	expect(actionDeliveries.get({ action: 'replay', outcome: 'delivered' })).toBe(1);
	expect(actionDeliveryDuration.count({ action: 'replay' })).toBe(2);
	expect(exposition()).toMatch(/syncscope_action_deliveries_total\{action="replay",outcome="delivered"\} 1/);
});
