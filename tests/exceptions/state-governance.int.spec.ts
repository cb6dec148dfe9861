/**
 * The exception state machine never answers a state it did not store (issue 14, finding 7): an action
 * answers the state read back after it, and failures dated in the future (a span from the year 2200,
 * stored as it came) do not outrank people's actions or later successes: a row dated more than 5
 * minutes after it arrived counts as arriving then (queries.ts orderedAt). Rows go straight into
 * otel_traces / otel_logs, as a collector without time checks (or an older one) stored them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDb } from '../helpers/db';
import { exceptionsDb, users } from './setup';
import { deadLetter, hex, insertLogs, insertSpans, span, type Msg } from './telemetry';
import { exceptionId } from '../../src/lib/server/exceptions/ids';
import { getExceptionRow } from '../../src/lib/server/exceptions/queries';
import { performAction } from '../../src/lib/server/exceptions/service';

let t: TestDb;
beforeAll(async () => {
	t = await exceptionsDb();
});
afterAll(async () => t?.cleanup());

const m = (id: string): Msg => ({ flow: 'order-to-cash', step: 'erp.create-sales-order', messageId: id, amount: 500, errorClass: 'validation' });
const idOf = (msg: Msg) => exceptionId(msg.flow, msg.messageId);
const YEAR_2200 = `${BigInt(Date.UTC(2200, 0, 1)) * 1_000_000n}`;
const MIN = 60_000;

/** A failed span dated `at` (ns text) and a dead letter of now. */
async function failAt(msg: Msg, at: string): Promise<void> {
	const traceId = hex(16);
	await insertSpans(t.db, [{ ...span(msg, { outcome: 'failed', traceId }), Timestamp: at }]);
	await insertLogs(t.db, [deadLetter(msg, '{"order":1}', { traceId, at: -1000 })]);
}

async function succeed(msg: Msg, atMs = 0): Promise<void> {
	await insertSpans(t.db, [span(msg, { outcome: 'success', at: atMs })]);
}

describe('failures dated in the future', () => {
	it("an operator's resolve answers resolved, and the exception is resolved (a failure dated 2200 does not outrank it)", async () => {
		const msg = m('future-resolve');
		await failAt(msg, YEAR_2200);
		expect((await getExceptionRow(idOf(msg)))!.state).toBe('open');
		const r = await performAction(idOf(msg), { action: 'resolve', comment: 'fixed by hand' }, users.operator);
		expect(r.state).toBe('resolved');
		expect((await getExceptionRow(idOf(msg)))!.state).toBe('resolved');
	});

	it('a later real failure still reopens it', async () => {
		const msg = m('future-resolve');
		await insertSpans(t.db, [span(msg, { outcome: 'failed', at: 1000 })]);
		expect((await getExceptionRow(idOf(msg)))!.state).toBe('open');
	});

	it('a later real success resolves an exception whose failure is dated 2200', async () => {
		const msg = m('future-success');
		await failAt(msg, YEAR_2200);
		await succeed(msg, 1000);
		const row = (await getExceptionRow(idOf(msg)))!;
		expect(row.state).toBe('resolved');
		expect(row.resolvedAt).not.toBeNull();
	});

	it('quarantine and release answer the states stored, with a failure dated 2200 in the history', async () => {
		const msg = m('future-retry');
		await failAt(msg, YEAR_2200);
		await performAction(idOf(msg), { action: 'quarantine' }, users.operator);
		expect((await getExceptionRow(idOf(msg)))!.state).toBe('quarantined');
		const r = await performAction(idOf(msg), { action: 'release' }, users.operator);
		expect(r.state).toBe('open');
	});
});

describe('the answer is the state read back', () => {
	it('a failure newer than the resolve (within the clock-skew tolerance) keeps it open, and the resolve says so', async () => {
		const msg = m('skewed');
		// 3 minutes ahead: within the 5-minute tolerance, so it counts as newer than the resolve
		await failAt(msg, `${BigInt(Date.now() + 3 * MIN) * 1_000_000n}`);
		const r = await performAction(idOf(msg), { action: 'resolve', comment: 'done' }, users.operator);
		const row = (await getExceptionRow(idOf(msg)))!;
		expect(r.state).toBe(row.state);
		expect(r.state).toBe('open');
	});
});
