/**
 * The re-interpret job on the real engine, with telemetry sent through the real collector: spans
 * stored under rules that know nothing of them get a flow, a correlation ID and a relayed failure
 * once a rule version says so and the job runs, and every feature (key index, lineage, exceptions,
 * SLA) follows. A second run changes nothing; a forced rewrite of the same rules neither; a day an
 * interrupted job left half swapped is finished by the next job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from '../../src/lib/server/db';
import { saveRuleVersion } from '../../src/lib/server/interpret/versions';
import { activeRules } from '../../src/lib/server/interpret/ruleset';
import { finishInterrupted, latestReinterpret, reinterpretStatus, ReinterpretError, runReinterpret, startReinterpret } from '../../src/lib/server/interpret/reinterpret';
import { clearStaging, dayOf, stageRows, swapDay } from '../../src/lib/server/interpret/reinterpret-store';
import { interpretDay } from '../../src/lib/server/interpret/reinterpret-stage';
import { collectSlaKeys, refoldDay } from '../../src/lib/server/interpret/reinterpret-sla';
import { fold } from '../../src/lib/server/sla/fold';
import { holdLive, live, refreshLive } from '../../src/lib/server/sla/live';
import { post, startHarness, type Harness } from '../collector/helpers';

const JSON_CT = { 'content-type': 'application/json' };
const hex = (n: number) => randomBytes(n).toString('hex');
const nanos = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: String(v) } });

/** An order received over HTTP (server span) and forwarded (client span); both answer `status`. */
function order(key: string, atMs: number, status: number) {
	const traceId = hex(16);
	const server = hex(8);
	const client = hex(8);
	const spans = [
		{
			traceId, spanId: server, name: 'POST /orders', kind: 2, startTimeUnixNano: nanos(atMs), endTimeUnixNano: nanos(atMs + 40),
			attributes: [str('http.request.method', 'POST'), str('http.route', '/orders'), int('http.response.status_code', status),
				{ key: 'http.request.header.x_correlation_id', value: { arrayValue: { values: [{ stringValue: key }] } } }],
			status: { code: status >= 500 ? 2 : 0 }
		},
		{
			traceId, spanId: client, parentSpanId: server, name: 'POST', kind: 3, startTimeUnixNano: nanos(atMs + 5), endTimeUnixNano: nanos(atMs + 30),
			attributes: [str('http.request.method', 'POST'), str('url.full', 'http://erp/api/orders'), int('http.status_code', status)],
			status: { code: status >= 500 ? 2 : 0 }
		}
	];
	const logs = [{ traceId, spanId: server, timeUnixNano: nanos(atMs + 10), severityNumber: 9, body: { stringValue: `order ${key} received` } }];
	return { traceId, server, client, spans, logs };
}

async function send(h: Harness, orders: ReturnType<typeof order>[]) {
	const resource = { attributes: [str('service.name', 'orders-api')] };
	const traces = { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'http' }, spans: orders.flatMap((o) => o.spans) }] }] };
	const logs = { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'app' }, logRecords: orders.flatMap((o) => o.logs) }] }] };
	expect((await post(h.base, '/v1/traces', JSON.stringify(traces), JSON_CT)).status).toBe(200);
	expect((await post(h.base, '/v1/logs', JSON.stringify(logs), JSON_CT)).status).toBe(200);
}

const RULES = (flow: string) => `packs: [semconv]
keys:
  correlation_id:
    - { from: 'attr:http.request.header.x_correlation_id' }
rules:
  - id: orders-in
    when: { route: /orders }
    set: { flow: ${flow}, step: receive-order }
  - id: orders-forward
    when: { kind: client, flow: ${flow} }
    set: { step: forward-order }
`;

describe('re-interpret job', () => {
	let h: Harness;
	const now = Date.now();
	// today's telemetry: a couple of minutes ago, but never before midnight UTC
	const at = Math.max(now - 120_000, Math.floor(now / 86_400_000) * 86_400_000);
	const todayDay = dayOf(new Date(at).toISOString().slice(0, 10));
	const today = order('SO-1', at, 503);
	const yesterday = order('SO-2', now - 86_400_000, 200);
	const old = order('SO-3', now - 5 * 86_400_000, 200);
	const q = <T>(text: ReturnType<typeof sql>) => h.t.db.query<T>(text);

	/** What every feature shows: compared before and after a second run. */
	async function figures() {
		await fold(h.t.db);
		const [counts] = await q<Record<string, number>>(sql`SELECT
			(SELECT count() FROM otel_traces) AS spans, (SELECT uniqExact(TraceId, SpanId) FROM otel_traces) AS distinctSpans,
			(SELECT count() FROM otel_logs) AS logs, (SELECT uniqExact(TraceId, SpanId) FROM lineage_spans) AS lineage,
			(SELECT count() FROM business_key_index WHERE KeyValue IN ('SO-1', 'SO-2', 'SO-3')) AS keys,
			(SELECT uniqExact(ExceptionId) FROM exception_events) AS exceptions,
			(SELECT count() FROM message_successes) AS successes`);
		const tx = await q<{ Flow: string; CorrelationId: string; Outcome: string; Step: string }>(
			sql`SELECT Flow, CorrelationId, Outcome, Step FROM sla_transactions FINAL WHERE Deleted = 0 ORDER BY Flow, CorrelationId`
		);
		const minutes = await q<{ Flow: string; Total: number; Failed: number }>(
			sql`SELECT Flow, sum(Total) AS Total, sum(Failed) AS Failed FROM sla_tx_minute FINAL WHERE Deleted = 0 GROUP BY Flow ORDER BY Flow`
		);
		const steps = await q<{ Flow: string; Step: string; spans: number; failed: number }>(
			sql`SELECT Flow, Step, uniqExactMerge(Spans) AS spans, uniqExactMerge(FailedSpans) AS failed FROM sla_step_minute GROUP BY Flow, Step ORDER BY Flow, Step`
		);
		const exceptions = await q<{ ExceptionId: string; Flow: string; CorrelationId: string; Step: string }>(
			sql`SELECT ExceptionId, any(Flow) AS Flow, max(CorrelationId) AS CorrelationId, any(Step) AS Step FROM exception_events GROUP BY ExceptionId ORDER BY ExceptionId`
		);
		return { counts, tx, minutes, steps, exceptions };
	}

	const attrs = async (spanId: string) =>
		(await q<{ a: Record<string, string> }>(sql`SELECT SpanAttributes AS a FROM otel_traces WHERE SpanId = ${{ String: spanId }}`)).map((r) => r.a);

	beforeAll(async () => {
		h = await startHarness();
		// an empty rule set: the conventions still see the 503s, nothing knows orders or the header
		await saveRuleVersion({ document: 'packs: [semconv]\nrules: []\n', author: 'test', comment: 'empty', baseVersion: 0 });
		await send(h, [today, yesterday, old]);
		// a client re-sends yesterday's order (OTLP allows it): stored twice until the job rewrites its day
		await send(h, [yesterday]);
	});
	afterAll(async () => h?.stop());

	it('before: no flow, no key, an exception without flow', async () => {
		const f = await figures();
		expect(f.counts).toMatchObject({ spans: 8, distinctSpans: 6, logs: 4 });
		expect(f.counts.keys).toBe(0);
		expect(f.exceptions).toEqual([expect.objectContaining({ Flow: '', CorrelationId: '' })]);
		expect(f.tx).toEqual([]);
		expect((await attrs(today.client))[0]).toMatchObject({ 'integration.outcome': 'failed' });
		expect((await attrs(today.server))[0]['integration.flow']).toBeUndefined();
	});

	it('after a rule version and the job: key index, lineage, exceptions and SLA follow the new rules', async () => {
		await saveRuleVersion({ document: RULES('order-intake'), author: 'test', comment: 'orders', baseVersion: 1 });
		const seen: number[] = [];
		const r = await runReinterpret({ days: 2, actor: 'test', onProgress: (s) => seen.push(s.done) });
		expect(r).toMatchObject({ state: 'done', message: expect.stringContaining('rule version 2, 2 of them rewritten') });
		expect(r.done).toBe(r.total);
		expect(r.total).toBe(9); // today's and yesterday's spans and log records, yesterday's twice
		expect(Math.max(...seen)).toBe(r.total);

		const f = await figures();
		const keys = await q<{ KeyValue: string; Signal: string; Flow: string }>(
			sql`SELECT KeyValue, Signal, Flow FROM business_key_index WHERE KeyName = 'correlation_id' ORDER BY KeyValue, Signal`
		);
		expect([...new Set(keys.map((k) => `${k.KeyValue} ${k.Signal} ${k.Flow}`))]).toEqual([
			'SO-1 log order-intake',
			'SO-1 span order-intake',
			'SO-2 log order-intake',
			'SO-2 span order-intake'
		]);
		// one exception: the client's 503; the server span passed it on (relayed)
		expect(f.exceptions).toEqual([expect.objectContaining({ Flow: 'order-intake', CorrelationId: 'SO-1', Step: 'forward-order' })]);
		expect(f.tx).toEqual([
			{ Flow: 'order-intake', CorrelationId: 'SO-1', Outcome: 'failed', Step: 'forward-order' },
			{ Flow: 'order-intake', CorrelationId: 'SO-2', Outcome: 'success', Step: expect.any(String) }
		]);
		expect(f.minutes).toEqual([{ Flow: 'order-intake', Total: 2, Failed: 1 }]);
		const lineage = await q<{ Flow: string; Step: string; Outcome: string }>(
			sql`SELECT Flow, Step, Outcome FROM lineage_spans WHERE TraceId = ${{ String: today.traceId }} ORDER BY Step`
		);
		expect(lineage).toEqual([
			{ Flow: 'order-intake', Step: 'forward-order', Outcome: 'failed' },
			{ Flow: 'order-intake', Step: 'receive-order', Outcome: 'relayed' }
		]);
		// each span and record once, as sent plus the derived facts
		expect(f.counts).toMatchObject({ spans: 6, distinctSpans: 6, logs: 3 });
		const [server] = await attrs(today.server);
		expect(server).toMatchObject({
			'http.route': '/orders',
			'http.request.header.x_correlation_id': '["SO-1"]',
			'integration.flow': 'order-intake',
			'integration.step': 'receive-order',
			'integration.correlation_id': 'SO-1',
			'integration.outcome': 'relayed'
		});
		expect(server['syncscope.derived']).toMatch(/(^|,)flow=orders-in(,|$)/);
		// older than the window: untouched
		expect((await attrs(old.server))[0]['integration.flow']).toBeUndefined();
		const audit = await q<{ Action: string; Result: string }>(sql`SELECT Action, Result FROM audit_log WHERE SubjectType = 'interpretation' AND Action LIKE 'reinterpret%' ORDER BY Seq`);
		expect(audit).toEqual([{ Action: 'reinterpret_start', Result: 'ok' }, { Action: 'reinterpret_finish', Result: 'ok' }]);
	});

	it('is idempotent: a second run changes nothing, and neither does rewriting the days anyway', async () => {
		const before = await figures();
		const again = await runReinterpret({ days: 2, actor: 'test' });
		expect(again).toMatchObject({ state: 'done', message: expect.stringContaining('0 of them rewritten') });
		const days = await q<{ Changed: number }>(sql`SELECT argMax(Changed, Version) AS Changed FROM reinterpret_days GROUP BY Day`);
		expect(days.map((d) => Number(d.Changed))).toEqual([0, 0]);
		expect(await figures()).toEqual(before);

		const forced = await runReinterpret({ days: 2, actor: 'test', force: true });
		expect(forced.state).toBe('done');
		expect(await figures()).toEqual(before);
		const staged = await q<{ n: number }>(sql`SELECT (SELECT count() FROM reinterpret_spans) + (SELECT count() FROM reinterpret_logs) + (SELECT count() FROM reinterpret_rows) AS n`);
		expect(Number(staged[0].n)).toBe(0);
	});

	it('runs one job at a time and reports its progress', async () => {
		let claimed!: () => void;
		const running = new Promise<void>((r) => (claimed = r));
		const first = runReinterpret({ days: 2, actor: 'first', force: true, onProgress: () => claimed() });
		await running;
		const refused = await runReinterpret({ days: 1, actor: 'second' }).catch((e: unknown) => e);
		expect(refused).toBeInstanceOf(ReinterpretError);
		expect(refused).toMatchObject({ status: 409, message: expect.stringContaining('started by first') });
		expect(await first).toMatchObject({ state: 'done' });

		const { jobId } = await startReinterpret({ days: 1, actor: 'api' });
		let s = await reinterpretStatus(jobId);
		for (let i = 0; s?.state === 'running' && i < 600; i++) {
			await new Promise((r) => setTimeout(r, 100));
			s = await reinterpretStatus(jobId);
		}
		expect(s).toMatchObject({ state: 'done', done: 3, total: 3, startedAt: expect.any(String), finishedAt: expect.any(String) });
		expect(await latestReinterpret()).toMatchObject({ jobId, state: 'done' });
		expect(await reinterpretStatus('no-such-job')).toBeNull();
		await expect(runReinterpret({ days: 0, actor: 'x' })).rejects.toMatchObject({ status: 400 });
	});

	it('finishes a day an interrupted job left half swapped, and the live step figures drop the old flow name', async () => {
		const release = holdLive(h.t.db);
		try {
			await fold(h.t.db);
			await refreshLive(h.t.db);
			const todayHour = Math.floor(at / 3_600_000) * 3_600_000;
			expect(live(h.t.db)!.stepMirror.hour.of('order-intake\x1freceive-order')?.get(todayHour / 60_000)).toMatchObject({ spans: 1 });

			await saveRuleVersion({ document: RULES('order-intake-v3'), author: 'test', comment: 'renamed', baseVersion: 2 });
			// what a job does up to the middle of a swap, then "crashes": the day's spans are gone from otel_traces
			const day = todayDay;
			const { changed } = await interpretDay(h.t.db, day, activeRules()!.compiled, 1, () => {}, 'crashed');
			expect(changed).toBe(3);
			await stageRows(h.t.db, day, 1);
			await collectSlaKeys(h.t.db, day);
			await h.t.db.insertRows('reinterpret_days', [{ Day: day.day, JobId: 'crashed', RulesVersion: 3, Phase: 'staged', Chunks: 1, Changed: changed, Version: String(BigInt(Date.now()) * 1000n) }]);
			await h.t.db.exec(sql`DELETE FROM otel_traces WHERE SpanId IN ${{ 'Array(String)': [today.server, today.client] }}`);
			expect(await attrs(today.server)).toEqual([]);

			// what start-up does (or any next job): finish the day the crashed job left
			expect(await finishInterrupted('test')).toMatchObject({ state: 'done' });
			expect(await finishInterrupted('test')).toBeNull();
			expect((await attrs(today.server))[0]).toMatchObject({ 'integration.flow': 'order-intake-v3' });
			const f = await figures();
			expect(f.tx.map((t) => `${t.Flow} ${t.CorrelationId} ${t.Outcome}`)).toEqual(['order-intake SO-2 success', 'order-intake-v3 SO-1 failed']);
			expect(f.exceptions).toEqual([expect.objectContaining({ Flow: 'order-intake-v3', CorrelationId: 'SO-1' })]);
			expect(f.minutes).toEqual([
				{ Flow: 'order-intake', Total: 1, Failed: 0 },
				{ Flow: 'order-intake-v3', Total: 1, Failed: 1 }
			]);
			// the console's mirror of the step rollup no longer shows today's step under the old flow name
			const steps = live(h.t.db)!.stepMirror;
			expect(steps.hour.of('order-intake\x1freceive-order')?.get(todayHour / 60_000)).toBeUndefined();
			expect(steps.hour.of('order-intake-v3\x1freceive-order')?.get(todayHour / 60_000)).toMatchObject({ spans: 1 });
			const open = await q<{ n: number }>(sql`SELECT count() AS n FROM (SELECT Day, argMax(Phase, Version) AS p FROM reinterpret_days GROUP BY Day) WHERE p != 'done'`);
			expect(Number(open[0].n)).toBe(0);
		} finally {
			release();
		}
	});

	it('keeps what arrives while its day is swapped, with everything derived from it', async () => {
		const day = todayDay;
		await interpretDay(h.t.db, day, activeRules()!.compiled, 1, () => {}, 'late');
		await stageRows(h.t.db, day, 1);
		await collectSlaKeys(h.t.db, day);
		// arrives after staging, before the day's derived rows are deleted
		const late = order('SO-4', at + 1_000, 200);
		await send(h, [late]);
		expect(await swapDay(h.t.db, day)).toEqual({ late: 3 });
		await refoldDay(h.t.db, day);
		await clearStaging(h.t.db, day);

		const keys = await q<{ Signal: string; Flow: string }>(sql`SELECT DISTINCT Signal, Flow FROM business_key_index WHERE KeyValue = 'SO-4' ORDER BY Signal`);
		expect(keys).toEqual([{ Signal: 'log', Flow: 'order-intake-v3' }, { Signal: 'span', Flow: 'order-intake-v3' }]);
		const [c] = await q<{ spans: number; lineage: number }>(sql`SELECT
			(SELECT count() FROM otel_traces WHERE TraceId = ${{ String: late.traceId }}) AS spans,
			(SELECT uniqExact(SpanId) FROM lineage_spans WHERE TraceId = ${{ String: late.traceId }}) AS lineage`);
		expect(c).toEqual({ spans: 2, lineage: 2 });
		const f = await figures();
		expect(f.tx.map((t) => `${t.Flow} ${t.CorrelationId} ${t.Outcome}`)).toEqual(['order-intake SO-2 success', 'order-intake-v3 SO-1 failed', 'order-intake-v3 SO-4 success']);
		expect(f.counts.spans).toBe(f.counts.distinctSpans);
	});
});
