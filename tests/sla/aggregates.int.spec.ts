/**
 * The aggregates (migration 340): figures of minute-aligned windows read from sla_tx_hour /
 * sla_tx_minute equal the per-transaction path exactly — counts, amounts per currency, stuck (with
 * the threshold inside a minute of a stuck transaction), series per hour and per minute — and the
 * step table from sla_step_hour equals the one from minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { HttpDb } from '../../src/lib/server/db/http';
import { fromRiskRows, stepTable } from '../../src/lib/server/sla/breakdowns';
import { ensureFolded, fold, useAggregates } from '../../src/lib/server/sla/fold';
import { deadLetters, milestonesFigures } from '../../src/lib/server/sla/milestones';
import { txFiguresCompared } from '../../src/lib/server/sla/kpis';
import { holdLive, live, refreshLive } from '../../src/lib/server/sla/live';
import { testDb, type TestDb } from '../helpers/db';
import { hex, spanRow } from '../lineage/rows';
import { Sender } from './send';
import { emitScenario, FLOW, testCatalogue, type Emitted } from './scenario';

const flow = testCatalogue.flows.find((f) => f.id === FLOW)!;
const MIN = 60_000;

describe('SLA aggregates', () => {
	let t: TestDb;
	let e: Emitted;
	beforeAll(async () => {
		t = await testDb();
		e = emitScenario();
		const send = await Sender.start(t.config, t.db);
		await send.spans(e.spans);
		await send.spans(e.resent);
		await send.logs(e.logs);
		await send.close();
		await ensureFolded(t.db, 0);
	});
	afterAll(async () => {
		useAggregates(t.db, true);
		await t?.cleanup();
	});

	/**
	 * The same call on the aggregates and one transaction at a time; the aggregates read both in
	 * memory (live.ts) and from ClickHouse, which must agree.
	 */
	async function both<T>(f: () => Promise<T>): Promise<[T, T]> {
		useAggregates(t.db, true);
		const release = holdLive(t.db);
		await refreshLive(t.db);
		expect(live(t.db)).not.toBeNull();
		const mem = await f();
		release();
		const agg = await f();
		expect(mem).toEqual(agg);
		useAggregates(t.db, false);
		const exact = await f();
		useAggregates(t.db, true);
		return [agg, exact];
	}

	const aligned = (now: number, hours: number) => {
		const to = new Date(Math.ceil(now / MIN) * MIN);
		const from = new Date(to.getTime() - hours * 3_600_000);
		return { w: { from, to, now: new Date(now) }, previous: { from: new Date(from.getTime() - hours * 3_600_000) } };
	};

	it('are written by the fold', async () => {
		const [r] = await t.db.query<{ m: number; h: number }>(sql`
			SELECT (SELECT sum(Total) FROM sla_tx_minute FINAL WHERE Flow = ${{ String: FLOW }}) AS m, (SELECT sum(Total) FROM sla_tx_hour FINAL WHERE Flow = ${{ String: FLOW }}) AS h`);
		expect(r.m).toBeGreaterThanOrEqual(e.truth.total);
		expect(r.h).toBe(r.m);
	});

	for (const [label, hours, bucket, mode] of [
		['24 h with the previous period, hourly series and the at-risk drill-down', 24, 3600, 'full'],
		['6 h, per-minute series', 6, 60, 'full'],
		['24 h, per-minute sparkline', 24, 60, 'counts']
	] as const) {
		it(`equal the per-transaction figures: ${label}`, async () => {
			const { w, previous } = aligned(e.window.now.getTime(), hours);
			const [agg, exact] = await both(() => txFiguresCompared([flow], w, previous, bucket, t.db, mode, mode === 'full' ? { limit: 10 } : null));
			expect(agg.current.get(FLOW)!.totals.total).toBeGreaterThanOrEqual(e.truth.total);
			expect(agg.current.get(FLOW)!.totals.stuck).toBeGreaterThanOrEqual(2);
			expect(agg.current).toEqual(exact.current);
			expect(agg.previous).toEqual(exact.previous);
			expect(fromRiskRows(agg.risk, 10)).toEqual(fromRiskRows(exact.risk, 10));
			if (mode === 'full') expect(agg.risk.length).toBeGreaterThan(0);
		});
	}

	it('count stuck exactly when the threshold falls inside the minute of a stuck transaction', async () => {
		const [row] = await t.db.query<{ start: number }>(sql`
			SELECT toUnixTimestamp64Milli(Start) AS start FROM sla_transactions FINAL WHERE CorrelationId = 'SO-S1'`);
		const limit = 30 * MIN; // crm.update-status within 30m
		for (const now of [row.start + limit - 1, row.start + limit + 1, row.start + limit + 59_000]) {
			const { w } = aligned(now, 24);
			const [agg, exact] = await both(() => txFiguresCompared([flow], w, null, 0, t.db));
			expect(agg.current.get(FLOW)!.totals).toEqual(exact.current.get(FLOW)!.totals);
		}
		const { w } = aligned(row.start + limit + 1, 24);
		const [agg] = await both(() => txFiguresCompared([flow], w, null, 0, t.db));
		const { w: before } = aligned(row.start + limit - 1, 24);
		const [earlier] = await both(() => txFiguresCompared([flow], before, null, 0, t.db));
		expect(agg.current.get(FLOW)!.totals.stuck - earlier.current.get(FLOW)!.totals.stuck).toBe(1);
	});

	it('rebuilt from scratch (after upgrading to migration 340) they give the same figures', async () => {
		const { w, previous } = aligned(e.window.now.getTime(), 24);
		const before = await txFiguresCompared([flow], w, previous, 3600, t.db, 'full');
		await t.db.exec(sql`TRUNCATE TABLE sla_tx_minute`);
		await t.db.exec(sql`TRUNCATE TABLE sla_tx_hour`);
		await t.db.exec(sql`DELETE FROM sla_fold_state WHERE Source = 'aggregates@2'`);
		// another process: no in-memory state, finds no marker and rebuilds a day at a time
		const other =
			t.transport === 'http' ? new HttpDb({ url: t.config.clickhouseUrl!, username: 'default', password: '', database: 'default' }) : new EmbeddedDb(t.dir);
		const after = await txFiguresCompared([flow], w, previous, 3600, other, 'full');
		await other.close();
		expect(after.current).toEqual(before.current);
		expect(after.previous).toEqual(before.previous);
	});

	it('in memory, follow each fold: a replayed order leaves the at-risk list, its figures move', async () => {
		const { w, previous } = aligned(e.window.now.getTime() + 2 * MIN, 24);
		const release = holdLive(t.db);
		try {
			await refreshLive(t.db);
			const before = await txFiguresCompared([flow], w, previous, 3600, t.db, 'full', { limit: 50 });
			const failed = before.risk.find((r) => r.failed && r.top.some(([, o]) => o === 'failed'))!;
			const [id] = failed.top[0];
			const [tx] = await t.db.query<{ s: number; step: string }>(sql`
				SELECT toUnixTimestamp64Milli(Start) AS s, Step AS step FROM sla_transactions FINAL WHERE CorrelationId = ${{ String: id }}`);
			// the replay: the failed step again, succeeding, in a later trace
			await t.db.insertRows('otel_traces', [
				spanRow({ traceId: hex(16), service: 'replay', name: 'replay', start: tx.s + 60_000, ms: 50,
					attrs: { 'integration.flow': FLOW, 'integration.correlation_id': id, 'integration.step': tx.step, 'integration.outcome': 'success', 'integration.attempt': '2' } })
			]);
			await ensureFolded(t.db, 0); // folds, then refreshes the mirror
			expect(live(t.db)).not.toBeNull();
			const after = await txFiguresCompared([flow], w, previous, 3600, t.db, 'full', { limit: 50 });
			const ids = (r: typeof after.risk) => r.flatMap((g) => g.top.map(([c]) => c));
			expect(ids(before.risk)).toContain(id);
			expect(ids(after.risk)).not.toContain(id);
			const [b, a] = [before.current.get(FLOW)!.totals, after.current.get(FLOW)!.totals];
			expect([a.failed, a.succeeded, a.replays]).toEqual([b.failed - 1, b.succeeded + 1, b.replays + 1]);
			// and equal to ClickHouse's figures
			release();
			useAggregates(t.db, false);
			const exact = await txFiguresCompared([flow], w, previous, 3600, t.db, 'full', { limit: 50 });
			useAggregates(t.db, true);
			expect(after.current).toEqual(exact.current);
			expect(fromRiskRows(after.risk, 50)).toEqual(fromRiskRows(exact.risk, 50));
		} finally {
			release();
		}
	});

	it('are read from memory once loaded (it empties the transaction aggregates: later tests here do not read them)', async () => {
		const { w, previous } = aligned(e.window.now.getTime(), 24);
		const release = holdLive(t.db);
		try {
			await refreshLive(t.db);
			const before = await txFiguresCompared([flow], w, previous, 3600, t.db, 'full');
			expect(before.current.get(FLOW)!.totals.total).toBeGreaterThanOrEqual(e.truth.total);
			// the ClickHouse rows gone: the figures still come, from memory
			await t.db.exec(sql`TRUNCATE TABLE sla_tx_minute`);
			await t.db.exec(sql`TRUNCATE TABLE sla_tx_hour`);
			expect((await txFiguresCompared([flow], w, previous, 3600, t.db, 'full')).current).toEqual(before.current);
		} finally {
			release();
		}
		// released: read from ClickHouse again
		expect((await txFiguresCompared([flow], w, previous, 3600, t.db, 'full')).current.get(FLOW)!.totals.total).toBe(0);
	});

	it('in memory, take in a fold that rewrote hundreds of thousands of minutes (a backlog after a restart)', async () => {
		const release = holdLive(t.db);
		try {
			await refreshLive(t.db);
			// 200,000 minute rows of five other flows, as a large fold writes them (a new version each)
			await t.db.exec(sql`
				INSERT INTO sla_tx_minute (Flow, Minute, Total, Succeeded, Failed, Version, Deleted)
				SELECT concat('bulk-', toString(number % 5)), toStartOfMinute(now()) - toIntervalMinute(intDiv(number, 5) + 1), 1, 1, 0,
					toUInt64(toUnixTimestamp64Nano(now64(9))) + number, 0
				FROM numbers(200000)`);
			await refreshLive(t.db);
			expect(live(t.db)).not.toBeNull();
			expect(live(t.db)!.txMinute.of('bulk-0')?.size).toBeGreaterThan(0);
		} finally {
			release();
			await t.db.exec(sql`DELETE FROM sla_tx_minute WHERE startsWith(Flow, 'bulk-')`);
		}
	});

	it('dead letters in memory equal ClickHouse, and follow new records', async () => {
		const { w, previous } = aligned(e.window.now.getTime(), 24);
		const lastHour = { ...w, from: new Date(w.to.getTime() - 3_600_000) };
		const read = () =>
			Promise.all([deadLetters([FLOW], w, 3600, t.db, previous.from), deadLetters([FLOW], w, 0, t.db, previous.from), deadLetters([FLOW], lastHour, 60, t.db)]);
		const fromClickHouse = await read();
		expect(fromClickHouse[0].get(FLOW)!.total).toBeGreaterThan(0);
		const release = holdLive(t.db);
		try {
			await refreshLive(t.db);
			expect(await read()).toEqual(fromClickHouse);
			const [rec] = await t.db.query<Record<string, unknown>>(sql`
				SELECT * FROM otel_logs WHERE EventName = 'integration.dead_letter' AND Timestamp >= ${{ 'DateTime64(3)': w.from }} ORDER BY Timestamp LIMIT 1`);
			// the same record again (a client retry: counted once) and another one
			await t.db.insertRows('otel_logs', [rec, { ...rec, LogAttributes: { ...(rec.LogAttributes as object), 'integration.message_id': 'm-again' } }]);
			await refreshLive(t.db);
			const after = await read();
			expect(after[1].get(FLOW)!.total).toBe(fromClickHouse[1].get(FLOW)!.total + 1);
			// read from memory: the same with the ClickHouse rows gone
			await t.db.exec(sql`TRUNCATE TABLE sla_dead_letters_minute`);
			expect(await read()).toEqual(after);
			release();
			expect((await read())[1].get(FLOW)!.total).toBe(0);
		} finally {
			release();
		}
	});

	it('the step table from whole hours equals the one from minutes, and the one in memory', async () => {
		const { w } = aligned(e.window.now.getTime(), 24);
		const byHours = await stepTable(flow, w, t.db);
		const byMinutes = await stepTable(flow, { from: new Date(w.from.getTime() + 1), to: new Date(w.to.getTime() - 1), now: w.now }, t.db);
		expect(byHours.some((s) => s.spans > 0)).toBe(true);
		expect(byHours).toEqual(byMinutes);
		const release = holdLive(t.db);
		try {
			await refreshLive(t.db);
			expect(await stepTable(flow, w, t.db)).toEqual(byHours);
			// spans arriving later (here: a re-sent span, counted once, and a new one) are taken in by the next refresh
			const [span] = await t.db.query<Record<string, unknown>>(sql`
				SELECT * FROM otel_traces WHERE SpanAttributes['integration.flow'] = ${{ String: FLOW }} AND SpanAttributes['integration.step'] != ''
					AND Timestamp >= ${{ 'DateTime64(3)': w.from }} AND Timestamp < ${{ 'DateTime64(3)': new Date(w.to.getTime() - 3_600_000) }}
				ORDER BY Timestamp DESC LIMIT 1`);
			await t.db.insertRows('otel_traces', [span, { ...span, SpanId: hex(8), Duration: 123_456_789 }]);
			await refreshLive(t.db);
			const after = await stepTable(flow, w, t.db);
			await t.db.exec(sql`TRUNCATE TABLE sla_step_minute`);
			expect(await stepTable(flow, w, t.db)).toEqual(after); // from memory
			await t.db.exec(sql`TRUNCATE TABLE sla_step_hour`);
			await t.db.exec(sql`INSERT INTO otel_traces SELECT * FROM otel_traces`); // the views fill both again (every span twice: counted once)
			release();
			expect(after).toEqual(await stepTable(flow, w, t.db));
			expect(after.reduce((n, s) => n + s.spans, 0)).toBe(byHours.reduce((n, s) => n + s.spans, 0) + 1);
		} finally {
			release();
		}
	});
});

describe('SLA milestone aggregates', () => {
	let t: TestDb;
	let e: Emitted;
	const spec = () => {
		const m = flow.objectives.milestones[0];
		return { flow: FLOW, from: m.from, to: m.to, targetMs: m.target };
	};
	beforeAll(async () => {
		t = await testDb();
		e = emitScenario();
		const send = await Sender.start(t.config, t.db);
		await send.spans(e.spans);
		await send.logs(e.logs);
		await send.close();
	});
	afterAll(async () => {
		useAggregates(t.db, true);
		await t?.cleanup();
	});

	it('are built for a milestone once a reader asks for it, and then equal the one-by-one figures', async () => {
		const to = new Date(Math.ceil(e.window.now.getTime() / MIN) * MIN);
		const w = { from: new Date(to.getTime() - 24 * 3_600_000), to, now: e.window.now };
		const exact = await milestonesFigures([spec()], w, 3600, t.db); // asks for the aggregates: not built yet
		const [{ n }] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM sla_milestone_minute FINAL`);
		expect(n).toBe(0);
		await fold(t.db); // builds them
		const [{ n: built }] = await t.db.query<{ n: number }>(sql`SELECT count() AS n FROM sla_milestone_minute FINAL`);
		expect(built).toBeGreaterThan(0);
		const agg = await milestonesFigures([spec()], w, 3600, t.db);
		expect(agg[0].totals.n).toBeGreaterThanOrEqual(e.truth.ack.latencies.length);
		expect(agg).toEqual(exact);
		const release = holdLive(t.db);
		await refreshLive(t.db);
		expect(live(t.db)).not.toBeNull();
		expect(await milestonesFigures([spec()], w, 3600, t.db)).toEqual(exact);
		expect(await milestonesFigures([spec()], w, 60, t.db)).toEqual(await (async () => {
			useAggregates(t.db, false);
			const x = await milestonesFigures([spec()], w, 60, t.db);
			useAggregates(t.db, true);
			return x;
		})());
		release();
		// pending at several "now"s, and per-minute series
		for (const now of [e.window.now.getTime() - 3 * 3_600_000, e.window.now.getTime() + 3_600_000]) {
			const w2 = { ...w, now: new Date(now) };
			const [a, x] = await (async () => {
				const a = await milestonesFigures([spec()], w2, 60, t.db);
				useAggregates(t.db, false);
				const x = await milestonesFigures([spec()], w2, 60, t.db);
				useAggregates(t.db, true);
				return [a, x];
			})();
			expect(a).toEqual(x);
		}
	});

	it('a milestone added later is built beside the existing ones, which stay as they were', async () => {
		const to = new Date(Math.ceil(e.window.now.getTime() / MIN) * MIN);
		const w = { from: new Date(to.getTime() - 24 * 3_600_000), to, now: e.window.now };
		const own = { flow: FLOW, from: 'crm.submit-order', to: 'crm.update-status', targetMs: 3_600_000, requireToSucceeded: true };
		const before = await milestonesFigures([spec()], w, 3600, t.db);
		const exactOwn = await milestonesFigures([own], w, 3600, t.db); // asks for it: one by one meanwhile
		await fold(t.db);
		expect(await milestonesFigures([spec(), own], w, 3600, t.db)).toEqual([...before, ...exactOwn]);
		const [{ specs }] = await t.db.query<{ specs: number }>(sql`SELECT uniqExact(Spec) AS specs FROM sla_milestone_hour FINAL`);
		expect(specs).toBe(2);
	});

	it('follow later telemetry: an acknowledgement arriving later completes the milestone', async () => {
		const to = new Date(Math.ceil(e.window.now.getTime() / MIN) * MIN);
		const w = { from: new Date(to.getTime() - 24 * 3_600_000), to, now: e.window.now };
		// held across the fold: the mirror takes in the rows it rewrites (a refresh, not a reload)
		const release = holdLive(t.db);
		await refreshLive(t.db);
		const before = (await milestonesFigures([spec()], w, 0, t.db))[0].totals;
		const [tx] = await t.db.query<{ c: string; s: number }>(sql`
			SELECT CorrelationId AS c, toUnixTimestamp64Milli(StepStarts[indexOf(StepNames, 'supplier.send-po')]) AS s FROM sla_transactions FINAL
			WHERE has(StepNames, 'supplier.send-po') AND NOT has(StepNames, 'supplier.po-ack') LIMIT 1`);
		await t.db.insertRows('otel_logs', [
			{ Timestamp: new Date(tx.s + 60_000).toISOString().replace('T', ' ').replace('Z', ''), TraceId: '', SpanId: '', ServiceName: 'edi', Body: 'EDI 855',
				EventName: 'integration.ack', LogAttributes: { 'integration.flow': FLOW, 'integration.correlation_id': tx.c, 'integration.step': 'supplier.po-ack' } }
		]);
		await ensureFolded(t.db, 0);
		const after = (await milestonesFigures([spec()], w, 0, t.db))[0].totals;
		expect(live(t.db)).not.toBeNull();
		release();
		expect(after.n).toBe(before.n + 1);
		useAggregates(t.db, false);
		expect((await milestonesFigures([spec()], w, 0, t.db))[0].totals).toEqual(after);
		useAggregates(t.db, true);
	});
});
