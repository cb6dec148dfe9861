/**
 * The fold (src/lib/server/sla/fold.ts): transactions finalised into sla_transactions follow the
 * rollups as telemetry keeps arriving — a later retry, an earlier span arriving late, merges,
 * a restart — and always give the figures of a fold from scratch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, sql } from '../../src/lib/server/db';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { HttpDb } from '../../src/lib/server/db/http';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { ensureFolded, fold, foldedAt, startFolding } from '../../src/lib/server/sla/fold';
import { milestoneFigures } from '../../src/lib/server/sla/milestones';
import { txFigures } from '../../src/lib/server/sla/kpis';
import { testDb, type TestDb } from '../helpers/db';

const flow = parseCatalogue(`flows:
  - id: fold-flow
    name: Fold flow
    businessOwner: Sales
    technicalOwner: Integration
    steps: [{ id: a, name: A, system: crm }, { id: b, name: B, system: erp }, { id: c, name: C, system: wms }, { id: ack, name: Ack, system: supplier, optional: true }]
    objectives: { successRate: 0.99, e2eP95: 10m, milestones: [{ name: ack, from: b, to: ack, target: 1h }] }`).flows[0];

const base = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;
const at = (minute: number, ms = 0) => new Date(base + minute * 60_000 + ms);
let spanSeq = 0;

/** One span of the flow, as the collector stores it. */
function span(tx: string, trace: string, step: string, start: Date, outcome: string, attempt = 1) {
	return {
		Timestamp: start.toISOString().replace('T', ' ').replace('Z', ''),
		TraceId: trace.padEnd(32, '0'),
		SpanId: (++spanSeq).toString(16).padStart(16, '0'),
		ServiceName: `svc-${step}`,
		SpanName: `step ${step}`,
		Duration: 200_000_000,
		StatusCode: outcome === 'failed' ? 'Error' : 'Ok',
		SpanAttributes: {
			'integration.flow': flow.id,
			'integration.correlation_id': tx,
			'integration.step': step,
			'integration.outcome': outcome,
			'integration.attempt': String(attempt)
		}
	};
}

const window = () => ({ from: at(0), to: at(60), now: at(60) });
const figures = async (t: TestDb, w = window()) => (await txFigures([flow], w, 0, t.db)).get(flow.id)!.totals;
const rowsOf = async (t: TestDb, tx: string) =>
	(await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM sla_transactions FINAL WHERE CorrelationId = ${{ String: tx }}`))[0].n;

/** A second handle on the same database, as another process would have (own in-memory fold state). */
const reopen = (t: TestDb) =>
	t.transport === 'http' ? new HttpDb({ url: t.config.clickhouseUrl!, username: 'default', password: '', database: 'default' }) : new EmbeddedDb(t.dir);

describe('the SLA fold', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await testDb();
	});
	afterAll(async () => t?.cleanup());

	it('re-folds a transaction when a later retry succeeds', async () => {
		await t.db.insertRows('otel_traces', [span('TX-1', 'aa01', 'a', at(1), 'success'), span('TX-1', 'aa01', 'b', at(1, 300), 'failed')]);
		expect(await figures(t)).toMatchObject({ total: 1, failed: 1, succeeded: 0, replays: 0 });
		await t.db.insertRows('otel_traces', [span('TX-1', 'aa02', 'b', at(20), 'success', 2), span('TX-1', 'aa02', 'c', at(20, 500), 'success', 2)]);
		expect(await figures(t)).toMatchObject({ total: 1, failed: 0, succeeded: 1, replays: 1 });
		expect(await rowsOf(t, 'TX-1')).toBe(1);
	});

	it('moves a transaction to its new first minute when an earlier span arrives late, leaving no second row', async () => {
		await t.db.insertRows('otel_traces', [span('TX-2', 'bb01', 'b', at(30), 'success'), span('TX-2', 'bb01', 'c', at(30, 400), 'success')]);
		const later = { from: at(29), to: at(31), now: at(60) };
		expect((await figures(t, later)).total).toBe(1);
		await t.db.insertRows('otel_traces', [span('TX-2', 'bb01', 'a', at(25), 'success')]);
		expect((await figures(t, later)).total).toBe(0);
		expect((await figures(t, { from: at(25), to: at(26), now: at(60) })).total).toBe(1);
		expect(await rowsOf(t, 'TX-2')).toBe(1);
		const [r] = await t.db.query<{ start: string }>(sql`SELECT toString(Start) AS start FROM sla_transactions FINAL WHERE CorrelationId = 'TX-2'`);
		expect(r.start.slice(11, 16)).toBe(at(25).toISOString().slice(11, 16));
	});

	it('reads only new rows: nothing after a fold or a merge, only the new rows of a merged part, nothing in a new process', async () => {
		await fold(t.db);
		expect((await fold(t.db)).transactions).toBe(0);
		await t.db.exec(raw('OPTIMIZE TABLE sla_tx_traces FINAL'));
		await t.db.exec(raw('OPTIMIZE TABLE sla_tx_steps FINAL'));
		expect((await fold(t.db)).transactions).toBe(0);
		// a merge of folded rows with new ones: only the new transaction is folded again
		await t.db.insertRows('otel_traces', [span('TX-9', 'dd01', 'a', at(45), 'success')]);
		await t.db.exec(raw('OPTIMIZE TABLE sla_tx_traces FINAL'));
		await t.db.exec(raw('OPTIMIZE TABLE sla_tx_steps FINAL'));
		expect((await fold(t.db)).transactions).toBe(1);
		// another handle on the same data dir has its own in-memory state: it starts from the stored marks
		const again = reopen(t);
		try {
			expect((await fold(again)).transactions).toBe(0);
		} finally {
			await again.close();
		}
	});

	it('gives the same figures as folding everything from scratch', async () => {
		const before = await figures(t);
		const rows = await t.db.query<Record<string, unknown>>(raw('SELECT * EXCEPT (Version) FROM sla_transactions FINAL ORDER BY CorrelationId'));
		await t.db.exec(raw('TRUNCATE TABLE sla_transactions'));
		await t.db.exec(raw('TRUNCATE TABLE sla_fold_state'));
		const fresh = reopen(t);
		try {
			expect((await fold(fresh)).transactions).toBeGreaterThan(0);
			expect(await fresh.query(raw('SELECT * EXCEPT (Version) FROM sla_transactions FINAL ORDER BY CorrelationId'))).toEqual(rows);
		} finally {
			await fresh.close();
		}
		expect(await figures(t)).toEqual(before);
	});

	it('re-folds a transaction when only an ack log record of it arrives (a milestone completes)', async () => {
		const ack = { flow: flow.id, from: 'b', to: 'ack', targetMs: 3_600_000 };
		const before = (await milestoneFigures(ack, window(), 0, t.db)).totals;
		await t.db.insertRows('otel_logs', [
			{
				Timestamp: `${Math.floor(at(50).getTime() / 1000)}.000000000`,
				EventName: 'integration.ack',
				LogAttributes: { 'integration.flow': flow.id, 'integration.step': 'ack', 'integration.correlation_id': 'TX-1' }
			}
		]);
		const after = (await milestoneFigures(ack, window(), 0, t.db)).totals;
		expect(after.n).toBe(before.n + 1);
		expect(after.p50).toBeGreaterThan(0);
	});

	it('serves figures up to slaFreshnessMs old, and folds first when they are older', async () => {
		await fold(t.db);
		await t.db.insertRows('otel_traces', [span('TX-3', 'cc01', 'a', at(40), 'success')]);
		await ensureFolded(t.db, 60_000);
		expect(await rowsOf(t, 'TX-3')).toBe(0);
		await ensureFolded(t.db, 0);
		expect(await rowsOf(t, 'TX-3')).toBe(1);
	});

	it('with a background loop running, a read of older figures does not wait for a fold (pages show "as of")', async () => {
		const other = reopen(t);
		let folds = 0;
		const stop = startFolding(other, () => {}, () => folds++);
		while (folds === 0) await new Promise((r) => setTimeout(r, 20));
		const asOf = foldedAt(other);
		await t.db.insertRows('otel_traces', [span('TX-4', 'ee01', 'a', at(41), 'success')]);
		await new Promise((r) => setTimeout(r, 5));
		await ensureFolded(other, 1); // older than 1 ms: without the loop this would fold
		expect(foldedAt(other)).toBe(asOf);
		await stop();
		await ensureFolded(other, 1); // loop stopped: folds first
		expect(foldedAt(other)).toBeGreaterThan(asOf);
		expect(await rowsOf(t, 'TX-4')).toBe(1);
		await other.close();
	});
});
