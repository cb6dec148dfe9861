/**
 * Governance that telemetry cannot steer (issue 14, finding 1), end to end: failures sent to the real
 * collector (OTLP/protobuf, with ingest auth on and with it off), actions through the console's API as
 * signed-in people. An extra failure for the same message, with another step and error class that
 * match a runbook with `approval: never`, used to make that runbook govern: the operator's replay
 * request of a 250,000 USD order answered `replay_approved` and was delivered with no approver.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../collector/index';
import { encodeLogs, encodeTraces, type TKV } from '../helpers/otlp-encode';
import { testApp, userWithRole, type TestApp } from '../helpers/app';
import { users } from './setup';
import { startReceiver, type Receiver } from './receiver';
import { addToken } from '../../src/lib/server/ingest-tokens';
import { createEndpoint, setAllowed } from '../../src/lib/server/actions/endpoints';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { auditFor, type AuditRow } from '../../src/lib/server/audit/log';
import { setRunbookFiles, saveRunbook } from '../../src/lib/server/runbooks/loader';
import { sql } from '../../src/lib/server/db';

let app: TestApp;
let guarded: Collector;
let open: Collector;
let rx: Receiver;
let secret = '';
let erpToken = '';
let ediToken = '';
type Person = Awaited<ReturnType<typeof userWithRole>>;
let operator: Person;
let approver: Person;

// an admin's runbook for a harmless step: address checks are replayed without a second person
const PERMISSIVE = `id: o2c-address-check
title: Address check failed
match: { flow: order-to-cash, step: crm.validate-address, errorClass: validation }
owner: { team: Customer data }
allowedActions: [retry, request_replay, approve_replay, resolve, discard, assign, comment]
replay: { approval: never }
instructions: Fix the address in the CRM, then replay.
`;

beforeAll(async () => {
	setRunbookFiles(undefined);
	app = await testApp({ runbooksDir: 'runbooks', deliveryBackoffMs: 5, deliveryAttempts: 3 });
	const collectorConfig = { ...app.config, otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1', batchLingerMs: 5 };
	guarded = await startCollector({ config: { ...collectorConfig, ingestAuth: true }, db: app.db, log: () => {} });
	// demo settings: the ingest port takes anything
	open = await startCollector({ config: { ...collectorConfig, ingestAuth: false }, db: app.db, log: () => {} });
	erpToken = await addToken(app.db, 'mulesoft-prod');
	ediToken = await addToken(app.db, 'edi:acme');
	rx = await startReceiver(() => secret);
	await setAllowed(rx.hostPort, true, users.admin);
	({ secret } = await createEndpoint({ name: 'mw', url: rx.url }, users.admin));
	await saveRunbook(PERMISSIVE, users.admin);
	operator = await userWithRole(app, 'operator');
	approver = await userWithRole(app, 'approver');
}, 60_000);
afterAll(async () => {
	await guarded?.shutdown();
	await open?.shutdown();
	await rx?.close();
	await app?.close();
});

const s = (key: string, v: string): TKV => ({ key, value: { s: v } });
const nowNs = (offsetMs: number) => BigInt(Date.now() + offsetMs) * 1_000_000n;

interface Failure {
	order: string;
	step: string;
	errorClass: string;
	errorCode?: string;
	amount?: number;
	atMs: number;
	traceId?: Buffer;
	spanId?: Buffer;
}

function tags(f: Failure): TKV[] {
	return [
		s('integration.flow', 'order-to-cash'),
		s('integration.step', f.step),
		s('integration.message_id', f.order),
		s('integration.correlation_id', f.order),
		s('integration.entity.type', 'sales_order'),
		s('integration.entity.id', f.order),
		s('integration.outcome', 'failed'),
		s('integration.error.class', f.errorClass),
		...(f.errorCode ? [s('integration.error.code', f.errorCode)] : []),
		...(f.amount !== undefined ? [s('integration.amount', String(f.amount)), s('integration.currency', 'USD')] : [])
	];
}

async function send(collector: Collector, path: '/v1/traces' | '/v1/logs', body: Buffer, token?: string): Promise<void> {
	const r = await fetch(`http://127.0.0.1:${collector.httpPort}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-protobuf', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: new Uint8Array(body)
	});
	expect(r.status, await r.clone().text()).toBe(200);
}

/** A failed span through a collector (start = atMs from now); returns its ids and start. */
async function failSpan(collector: Collector, f: Failure, token?: string): Promise<{ traceId: Buffer; spanId: Buffer; start: bigint }> {
	const traceId = f.traceId ?? randomBytes(16);
	const spanId = f.spanId ?? randomBytes(8);
	const start = nowNs(f.atMs);
	const span = { traceId, spanId, name: f.step, start, end: start + 5_000_000n, attributes: tags(f), status: { code: 2, message: `${f.step} failed` } };
	await send(collector, '/v1/traces', encodeTraces([{ resource: [s('service.name', 'mule-o2c')], scopes: [{ spans: [span] }] }]), token);
	return { traceId, spanId, start };
}

/** The dead letter the middleware logs with the order (the payload a replay re-sends). */
async function deadLetter(collector: Collector, f: Failure, token?: string): Promise<void> {
	const log = {
		time: nowNs(f.atMs + 1000),
		severityNumber: 17,
		eventName: 'integration.dead_letter',
		body: { s: JSON.stringify({ order: f.order, total: f.amount, currency: 'USD' }) },
		attributes: [...tags(f), s('event.name', 'integration.dead_letter')]
	};
	await send(collector, '/v1/logs', encodeLogs([{ resource: [s('service.name', 'mule-o2c')], scopes: [{ logs: [log] }] }]), token);
}

const idOf = (order: string) => exceptionId('order-to-cash', order);

/** Wait until the exception has `attempts` failed attempts (the collector's writer batches). */
async function attempts(order: string, n: number): Promise<void> {
	for (let i = 0; i < 500; i++) {
		const rows = await app.db.query<{ n: number }>(
			sql`SELECT uniqExact(TraceId, SpanId) AS n FROM exception_events WHERE ExceptionId = ${{ String: idOf(order) }} AND Signal = 'span'`
		);
		if (Number(rows[0]?.n ?? 0) >= n) return;
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error(`${order}: fewer than ${n} failures arrived`);
}

async function act(p: Person, order: string, action: string) {
	const r = await p.client.fetch(`/api/v1/exceptions/${idOf(order)}/actions`, { json: { action, comment: `${action} by test` } });
	return { status: r.status, body: (await r.json()) as { state?: string; error?: string } };
}

async function detail(p: Person, order: string) {
	const r = await p.client.fetch(`/api/v1/exceptions/${idOf(order)}`);
	expect(r.status).toBe(200);
	return (await r.json()) as { needsApproval: boolean; runbook: { id: string } | null; actions: string[]; exception: { amount: number | null } };
}

const rows = (h: AuditRow[], action: string) => h.filter((r) => r.Action === action && r.Result === 'ok');
const data = (r: AuditRow) => JSON.parse(r.Data || '{}');

/** No webhook may go out for this order (a short wait: a policy approval delivers at once). */
async function nothingSent(order: string): Promise<void> {
	await new Promise((r) => setTimeout(r, 300));
	expect(rx.requests.filter((q) => q.body.data.messageId === order)).toEqual([]);
	expect(rows(await auditFor('exception', idOf(order)), 'approve_replay')).toEqual([]);
}

describe('telemetry cannot switch off four-eyes', () => {
	it("another source's failure span with a step and class of an `approval: never` runbook: the 250,000 USD replay still needs an approver, and the audit records the attempted change", async () => {
		const genuine: Failure = { order: 'SO-250K-1', step: 'erp.create-sales-order', errorClass: 'validation', errorCode: 'SHIP_TO', amount: 250_000, atMs: -60_000 };
		await failSpan(guarded, genuine, erpToken);
		await deadLetter(guarded, genuine, erpToken);
		await attempts(genuine.order, 1);
		expect(await detail(operator, genuine.order)).toMatchObject({ needsApproval: true, runbook: { id: 'o2c-erp-create-sales-order' } });

		// the attack: the EDI source's token, the same message, a newer failure of another step and class
		await failSpan(guarded, { order: genuine.order, step: 'crm.validate-address', errorClass: 'validation', atMs: -10_000 }, ediToken);
		await attempts(genuine.order, 2);

		const requested = await act(operator, genuine.order, 'request_replay');
		expect(requested).toMatchObject({ status: 200, body: { state: 'replay_requested' } });
		await nothingSent(genuine.order);

		const d = await detail(operator, genuine.order);
		expect(d).toMatchObject({ needsApproval: true, runbook: { id: 'o2c-erp-create-sales-order' }, exception: { amount: 250_000 } });
		const history = await auditFor('exception', idOf(genuine.order));
		const [change] = rows(history, 'policy_change');
		expect(change).toMatchObject({ Actor: 'system', Role: 'system', ToState: '', BusinessKey: genuine.order });
		expect(data(change)).toMatchObject({
			from: { runbook: 'o2c-erp-create-sales-order' },
			to: [{ runbook: 'o2c-address-check', signature: { step: 'crm.validate-address', errorClass: 'validation' } }],
			effective: { needsApproval: true, amount: 250_000, runbooks: ['o2c-erp-create-sales-order', 'o2c-address-check'] }
		});
		expect(change.Comment).toContain('telemetry would change the governing policy');
		expect(change.Seq).toBeLessThan(rows(history, 'request_replay')[0].Seq);
		expect(data(rows(history, 'request_replay')[0])).toMatchObject({ needsApproval: true, runbook: 'o2c-erp-create-sales-order' });

		// the second person still can approve: it is delivered once
		expect(await act(approver, genuine.order, 'approve_replay')).toMatchObject({ status: 200, body: { state: 'replay_approved' } });
		for (let i = 0; i < 300 && !rx.requests.some((q) => q.body.data.messageId === genuine.order); i++) await new Promise((r) => setTimeout(r, 20));
		expect(rx.requests.filter((q) => q.body.data.messageId === genuine.order)).toHaveLength(1);
		// one record of the change, not one per look
		expect(rows(await auditFor('exception', idOf(genuine.order)), 'policy_change')).toHaveLength(1);
	});

	it('with no credentials at all (ingest auth off): a backdated failure that claims to come first, with a lower amount, changes nothing either', async () => {
		const genuine: Failure = { order: 'SO-250K-2', step: 'erp.create-sales-order', errorClass: 'validation', amount: 250_000, atMs: -60_000 };
		await failSpan(guarded, genuine, erpToken);
		await deadLetter(guarded, genuine, erpToken);
		await attempts(genuine.order, 1);
		// dated before the genuine failure, so it is the "first" by time; amount 1 tries to get under the threshold
		await failSpan(open, { order: genuine.order, step: 'crm.validate-address', errorClass: 'validation', amount: 1, atMs: -120_000 });
		await attempts(genuine.order, 2);

		expect(await act(operator, genuine.order, 'request_replay')).toMatchObject({ status: 200, body: { state: 'replay_requested' } });
		await nothingSent(genuine.order);
		expect(await detail(operator, genuine.order)).toMatchObject({ needsApproval: true, exception: { amount: 250_000 } });
		expect(rows(await auditFor('exception', idOf(genuine.order)), 'policy_change')).toHaveLength(1);
	});

	it('a re-sent span (same trace, span and start) that rewrites the genuine failure after the policy was recorded does not loosen it', async () => {
		const genuine: Failure = { order: 'SO-250K-3', step: 'erp.create-sales-order', errorClass: 'validation', amount: 250_000, atMs: -60_000 };
		const sent = await failSpan(guarded, genuine, erpToken);
		await deadLetter(guarded, genuine, erpToken);
		await attempts(genuine.order, 1);
		// any action records the policy (so does the auto-retry sweep)
		expect((await act(operator, genuine.order, 'comment')).status).toBe(200);

		// OTLP lets a client send a span again; exception_events keeps one row per (trace, span, start),
		// the last one written, once parts merge
		await resend(sent, { order: genuine.order, step: 'crm.validate-address', errorClass: 'validation' });
		await app.db.exec(sql`OPTIMIZE TABLE exception_events FINAL`);
		const steps = await app.db.query<{ Step: string }>(
			sql`SELECT Step FROM exception_events FINAL WHERE ExceptionId = ${{ String: idOf(genuine.order) }} AND Signal = 'span' AND SpanId = ${{ String: sent.spanId.toString('hex') }}`
		);
		expect(steps.map((r) => r.Step)).toEqual(['crm.validate-address']);

		expect(await act(operator, genuine.order, 'request_replay')).toMatchObject({ status: 200, body: { state: 'replay_requested' } });
		await nothingSent(genuine.order);
		expect(await detail(operator, genuine.order)).toMatchObject({ needsApproval: true, runbook: { id: 'o2c-erp-create-sales-order' } });
	});

	it('an extra failure cannot open an action the governing runbook forbids either (a retry goes out without an approver)', async () => {
		// credit holds: no retry, every replay approved by credit control
		const genuine: Failure = { order: 'SO-HOLD-1', step: 'erp.create-sales-order', errorClass: 'business', errorCode: 'CREDIT_HOLD', amount: 90_000, atMs: -60_000 };
		await failSpan(guarded, genuine, erpToken);
		await deadLetter(guarded, genuine, erpToken);
		await attempts(genuine.order, 1);
		expect((await detail(operator, genuine.order)).actions).not.toContain('retry');
		// a transport failure of the same step would match the step's runbook, which allows retry
		await failSpan(open, { order: genuine.order, step: 'erp.create-sales-order', errorClass: 'transport', atMs: -5_000 });
		await attempts(genuine.order, 2);

		const retry = await act(operator, genuine.order, 'retry');
		expect(retry).toMatchObject({ status: 403, body: { error: expect.stringContaining('runbook o2c-credit-hold does not allow retry') } });
		expect((await detail(operator, genuine.order)).actions).not.toContain('retry');
		await new Promise((r) => setTimeout(r, 200));
		expect(rx.requests.filter((q) => q.body.data.messageId === genuine.order)).toEqual([]);
	});
});

/** Send a span again with the ids and start of an earlier one (and other attributes). */
async function resend(sent: { traceId: Buffer; spanId: Buffer; start: bigint }, f: Omit<Failure, 'atMs'>): Promise<void> {
	const span = { traceId: sent.traceId, spanId: sent.spanId, name: f.step, start: sent.start, end: sent.start + 5_000_000n, attributes: tags({ ...f, atMs: 0 }), status: { code: 2, message: 'failed' } };
	await send(open, '/v1/traces', encodeTraces([{ resource: [s('service.name', 'mule-o2c')], scopes: [{ spans: [span] }] }]));
	for (let i = 0; i < 500; i++) {
		const n = await app.db.query<{ n: number }>(
			sql`SELECT count() AS n FROM exception_events WHERE SpanId = ${{ String: sent.spanId.toString('hex') }} AND Step = ${{ String: f.step }}`
		);
		if (Number(n[0]?.n ?? 0) > 0) return;
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error('the re-sent span did not arrive');
}
