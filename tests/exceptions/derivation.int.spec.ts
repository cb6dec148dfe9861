/** Exceptions derived from telemetry: dedup of re-sent spans, and what does (not) auto-resolve them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { deadLetter, failMessage, hex, insertLogs, insertSpans, span, type Msg } from './telemetry';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow, queryExceptions } from '../../src/lib/server/exceptions/queries';
import { performAction } from '../../src/lib/server/exceptions/service';
import { listExceptions } from '../../src/lib/server/exceptions/list';

let t: TestDb;
const m = (n: string, extra: Partial<Msg> = {}): Msg => ({ flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: n, ...extra });
const idOf = (n: string) => exceptionId('order-to-cash', n);

beforeAll(async () => {
	t = await exceptionsDb();
});
afterAll(async () => t?.cleanup());

describe('exceptions from telemetry', () => {
	it('counts a re-sent span once and separate attempts separately', async () => {
		const first = span(m('dup'), { outcome: 'failed', at: -120_000 });
		await insertSpans(t.db, [first]);
		await insertSpans(t.db, [first]); // the client re-sent the batch
		await insertSpans(t.db, [span(m('dup'), { outcome: 'failed', at: -60_000 })]);
		expect(await getExceptionRow(idOf('dup'))).toMatchObject({ attempts: 2, deadLetters: 0, state: 'open' });
	});

	it('a span with status Error and no integration tags is still an exception', async () => {
		await insertSpans(t.db, [{ ...span(m('x'), { status: 'Error' }), SpanAttributes: {} }]);
		const rows = await queryExceptions({});
		expect(rows.some((r) => r.flow === '' && r.attempts === 1)).toBe(true);
	});

	it('keys by idempotency key when there is no message id', async () => {
		const s = span(m(''), { outcome: 'rejected' });
		s.SpanAttributes['integration.idempotency_key'] = 'idem-7';
		await insertSpans(t.db, [s]);
		expect(await getExceptionRow(idOf('idem-7'))).toMatchObject({ idempotencyKey: 'idem-7', state: 'open' });
	});

	it('is not resolved by an earlier step, a duplicate-blocked resubmission, an ack, or an earlier success', async () => {
		const msg = m('noisy');
		await insertSpans(t.db, [span(msg, { outcome: 'success', at: -300_000 })]); // the same step, before the failure
		await failMessage(t.db, msg);
		await insertSpans(t.db, [
			span(msg, { outcome: 'success', step: 'mw.validate-order', at: 10_000 }),
			span(msg, { outcome: 'duplicate', status: 'Ok', at: 20_000 }),
			span(msg, { outcome: 'success', step: 'crm.update-status', at: 30_000 })
		]);
		const ack = deadLetter(msg, '', { at: 40_000 });
		await insertLogs(t.db, [{ ...ack, EventName: 'integration.ack', LogAttributes: { ...ack.LogAttributes, 'event.name': 'integration.ack' } }]);
		expect((await getExceptionRow(idOf('noisy')))!.state).toBe('open');
	});

	it('is resolved by a later success of the same step and message, and says by which trace', async () => {
		const traceId = hex(16);
		await insertSpans(t.db, [span(m('noisy'), { status: 'Unset', at: 50_000, traceId })]);
		expect(await getExceptionRow(idOf('noisy'))).toMatchObject({ state: 'resolved', resolvedTraceId: traceId });
	});

	it('a new failure after a manual resolve reopens the exception', async () => {
		await failMessage(t.db, m('again'));
		await performAction(idOf('again'), { action: 'quarantine' }, users.operator);
		await performAction(idOf('again'), { action: 'release' }, users.operator);
		expect((await getExceptionRow(idOf('again')))!.state).toBe('open');
		await performAction(idOf('again'), { action: 'await_partner', comment: 'asked the partner' }, users.operator);
		await performAction(idOf('again'), { action: 'resolve', comment: 'partner fixed it' }, users.operator);
		expect((await getExceptionRow(idOf('again')))!.state).toBe('resolved');
		await insertSpans(t.db, [span(m('again'), { outcome: 'failed', at: 60_000 })]);
		expect((await getExceptionRow(idOf('again')))!.state).toBe('open');
	});

	it('lists with filters, owner from runbook or flow, and groups by error signature', async () => {
		await failMessage(t.db, m('g1', { errorClass: 'business', errorCode: 'CREDIT_HOLD', amount: 900 }));
		await failMessage(t.db, m('g2', { errorClass: 'business', errorCode: 'CREDIT_HOLD', amount: 20_000 }));
		await failMessage(t.db, { flow: 'inventory-sync', step: 'erp.update-onhand', messageId: 'inv-1', errorClass: 'transport' });
		const credit = await listExceptions({ errorCode: 'CREDIT_HOLD' });
		expect(credit.total).toBe(2);
		expect(credit.items.every((i) => i.owner === 'Credit control')).toBe(true);
		expect(credit.groups).toEqual([expect.objectContaining({ signature: 'order-to-cash · erp.create-sales-order · business/CREDIT_HOLD', count: 2 })]);
		expect((await listExceptions({ errorCode: 'CREDIT_HOLD', minAmount: 10_000 })).items.map((i) => i.correlationId)).toEqual(['SO-g2']);
		expect((await listExceptions({ owner: 'Credit control' })).total).toBe(2);
		const inv = await listExceptions({ flow: 'inventory-sync' });
		expect(inv.items[0]).toMatchObject({ owner: 'Integration team', errorClass: 'transport' });
		expect((await listExceptions({ state: ['resolved'] })).items.map((i) => i.id)).toContain(idOf('noisy'));
		expect((await listExceptions({ limit: 1 })).items).toHaveLength(1);
	});
});

describe('queue paging and sorting in ClickHouse', () => {
	it('pages with a true total and sorts by amount, attempts and age', async () => {
		const all = await listExceptions({ limit: 1000 });
		const byAmount = await listExceptions({ sort: 'amount', dir: 'desc', limit: 2 });
		expect(byAmount.total).toBe(all.total);
		expect(byAmount.items.map((i) => i.amount)).toEqual([20_000, 900]);
		const page2 = await listExceptions({ sort: 'amount', dir: 'desc', limit: 2, offset: 2 });
		expect(page2.items.map((i) => i.id)).not.toContain(byAmount.items[0].id);
		expect(page2.total).toBe(all.total);
		const byAttempts = await listExceptions({ sort: 'attempts', dir: 'desc', limit: 1 });
		expect(byAttempts.items[0].attempts).toBe(Math.max(...all.items.map((i) => i.attempts)));
		const oldest = await listExceptions({ sort: 'firstSeen', dir: 'asc', limit: 1 });
		expect(oldest.items[0].firstSeen).toBe(all.items.map((i) => i.firstSeen).sort()[0]);
		expect(all.groups.reduce((n, g) => n + g.count, 0)).toBe(all.total);
		expect((await listExceptions({ limit: 5, offset: 10_000 })).total).toBe(all.total);
	});
});
