/**
 * A seeded order-to-cash scenario with known ground truth, emitted through the real OpenTelemetry
 * SDK (BasicTracerProvider / LoggerProvider with in-memory exporters). Every case of the counting
 * rules appears: clean transactions, failures, failures replayed later, retries inside a trace,
 * duplicate submissions, milestones answered by spans and by ack log records, pending milestones,
 * stuck transactions, a transaction that started before the window, re-sent spans and dead letters.
 * The tests send it through the real collector (send.ts).
 */
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';

export const FLOW = 'o2c-test';
const H = 3_600_000;

export const testCatalogue = parseCatalogue(`
flows:
  - id: ${FLOW}
    name: Order to cash (test)
    businessOwner: Sales ops
    technicalOwner: Integration team
    steps:
      - { id: crm.submit-order, name: Order captured, system: crm }
      - { id: erp.create-sales-order, name: Sales order created, system: erp, within: 5m }
      - { id: supplier.send-po, name: PO sent, system: supplier, optional: true }
      - { id: supplier.po-ack, name: PO acknowledged, system: supplier, optional: true }
      - { id: crm.update-status, name: Status back to CRM, system: crm, within: 30m }
    objectives:
      successRate: 0.95
      e2eP95: 2m
      deadLettersPerHour: 1
      milestones:
        - { name: supplier-ack, from: supplier.send-po, to: supplier.po-ack, target: 4h }
  - id: other-flow
    name: Another flow
    businessOwner: x
    technicalOwner: y
    steps:
      - { id: a.step, name: A, system: a }
`);

export interface Truth {
	total: number;
	succeeded: number;
	failed: number;
	duplicates: number;
	replays: number;
	deadLetters: number;
	valueAtRisk: number;
	/** the same per integration.currency ('' where a transaction names none) */
	valueAtRiskByCurrency: Record<string, number>;
	e2eMs: number[];
	/** end-to-end time between crm.submit-order and crm.update-status (a flow naming its own steps) */
	ownE2eMs: number[];
	eventDelayMs: number[];
	ack: { latencies: number[]; pending: number };
}

export interface Emitted {
	spans: ReturnType<InMemorySpanExporter['getFinishedSpans']>;
	logs: ReturnType<InMemoryLogRecordExporter['getFinishedLogRecords']>;
	/** spans a client re-sends (a second export of the same spans) */
	resent: ReturnType<InMemorySpanExporter['getFinishedSpans']>;
	truth: Truth;
	window: { from: Date; to: Date; now: Date };
}

export function emitScenario(nowMs = Math.floor(Date.now() / 60_000) * 60_000): Emitted {
	const spans = new InMemorySpanExporter();
	const logs = new InMemoryLogRecordExporter();
	const resource = resourceFromAttributes({ 'service.name': 'mule-o2c' });
	const tracer: Tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('scenario');
	const logger: Logger = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor(logs)] }).getLogger('scenario');
	const truth: Truth = { total: 0, succeeded: 0, failed: 0, duplicates: 0, replays: 0, deadLetters: 0, valueAtRisk: 0, valueAtRiskByCurrency: {}, e2eMs: [], ownE2eMs: [], eventDelayMs: [], ack: { latencies: [], pending: 0 } };
	const from = nowMs - 6 * H;

	const base = (corr: string, step: string, extra: Record<string, string | number> = {}) => ({
		'integration.flow': FLOW,
		'integration.correlation_id': corr,
		'integration.step': step,
		...extra
	});
	/** a span from start to end (epoch ms), child of parent when given */
	const span = (name: string, start: number, end: number, attrs: Record<string, string | number>, parent?: Span, error = false): Span => {
		const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
		const s = tracer.startSpan(name, { startTime: start, attributes: attrs }, ctx);
		if (error) s.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
		s.end(end);
		return s;
	};
	/** root span (ended last in real life; here ended explicitly with its children's span) */
	const root = (corr: string, start: number, end: number, extra: Record<string, string | number> = {}) => {
		const ctx = ROOT_CONTEXT;
		const s = tracer.startSpan('POST /orders', { startTime: start, attributes: base(corr, 'crm.submit-order', extra) }, ctx);
		return { s, end: () => s.end(end) };
	};

	// 1. twenty clean transactions, one trace each; e2e = root duration; event delay on the root
	for (let i = 0; i < 20; i++) {
		const t0 = nowMs - 5.5 * H + i * 10 * 60_000; // 5.5h ago … 2.3h ago
		const d = 800 + i * 3_517 + (i % 3) * 911; // 0.8 s … ~68 s
		const delay = 120 + i * 457;
		const corr = `SO-${1000 + i}`;
		const r = root(corr, t0, t0 + d, { 'integration.event_time': new Date(t0 - delay).toISOString(), 'integration.amount': 250 });
		span('create SO', t0 + 10, t0 + 200, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'success', 'integration.target': 'erp' }), r.s);
		if (i < 9) span('send PO', t0 + 300, t0 + 400, base(corr, 'supplier.send-po', { 'integration.partner': 'acme' }), r.s);
		span('update CRM', t0 + d - 100, t0 + d - 10, base(corr, 'crm.update-status', { 'integration.outcome': 'success' }), r.s);
		r.end();
		truth.e2eMs.push(d);
		truth.ownE2eMs.push(d - 10);
		truth.eventDelayMs.push(delay);
		// acknowledgements in later traces: four as spans, two as ack log records
		if (i < 6) {
			const lat = 20 * 60_000 + i * 17 * 60_000 + i * 1_234; // ~20 min … ~1h45
			const ackAt = t0 + 300 + lat;
			if (i < 4) span('PO ack', ackAt - 50, ackAt, base(corr, 'supplier.po-ack', { 'integration.outcome': 'success', 'integration.partner': 'acme' }));
			else logger.emit({ eventName: 'integration.ack', timestamp: new Date(ackAt), severityNumber: SeverityNumber.INFO, body: 'EDI 855', attributes: base(corr, 'supplier.po-ack') });
			truth.ack.latencies.push(lat);
		}
		// 6, 7 and 8 sent their PO more than 4 h ago and were never acknowledged: pending past target
		if (i >= 6 && i < 9) truth.ack.pending++;
		// four duplicate submissions of already-processed orders, in later traces
		if (i >= 10 && i < 14) span('POST /orders', t0 + 40 * 60_000, t0 + 40 * 60_000 + 30, base(corr, 'crm.submit-order', { 'integration.outcome': 'duplicate', 'integration.error.class': 'duplicate' }));
		truth.total++;
		truth.succeeded++;
	}
	truth.duplicates += 4;

	// 2. five failures (last outcome failed): value at risk
	for (let k = 0; k < 5; k++) {
		const t0 = nowMs - 4 * H + k * 7 * 60_000;
		const corr = `SO-F${k}`;
		const amount = 100 * (k + 1);
		// two currencies: value at risk is summed per currency, never across them
		const currency = k % 2 ? 'CAD' : 'USD';
		const r = root(corr, t0, t0 + 900, { 'integration.amount': amount, 'integration.currency': currency, 'integration.partner': k < 3 ? 'acme' : 'globex' });
		span('create SO', t0 + 10, t0 + 800, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'failed', 'integration.error.class': 'business', 'integration.error.code': k < 3 ? 'E-CREDIT' : 'E-TAX', 'integration.target': 'erp' }), r.s, true);
		r.end();
		truth.total++;
		truth.failed++;
		truth.valueAtRisk += amount;
		truth.valueAtRiskByCurrency[currency] = (truth.valueAtRiskByCurrency[currency] ?? 0) + amount;
	}

	// 2b. a failed step is not healed by a later success of another step (an acknowledgement)
	{
		const t0 = nowMs - 3.5 * H;
		const r = root('SO-FA', t0, t0 + 2_000, { 'integration.amount': 50 });
		span('update CRM', t0 + 1_000, t0 + 1_900, base('SO-FA', 'crm.update-status', { 'integration.outcome': 'failed', 'integration.error.code': 'E-CRM', 'integration.target': 'crm' }), r.s, true);
		r.end();
		span('PO ack', t0 + H, t0 + H + 10, base('SO-FA', 'supplier.po-ack', { 'integration.outcome': 'success' }));
		truth.total++;
		truth.failed++;
		truth.valueAtRisk += 50;
		truth.valueAtRiskByCurrency[''] = (truth.valueAtRiskByCurrency[''] ?? 0) + 50;
	}

	// 3. three failures replayed successfully in a later trace (attempt 2): succeeded + replays, no e2e
	for (let k = 0; k < 3; k++) {
		const t0 = nowMs - 3 * H + k * 5 * 60_000;
		const corr = `SO-R${k}`;
		const r = root(corr, t0, t0 + 700, { 'integration.amount': 999 });
		span('create SO', t0 + 10, t0 + 600, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'failed', 'integration.error.class': 'transport' }), r.s, true);
		r.end();
		const t1 = t0 + 30 * 60_000;
		const replay = span('replay', t1, t1 + 500, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'success', 'integration.attempt': 2 }));
		span('update CRM', t1 + 510, t1 + 600, base(corr, 'crm.update-status', { 'integration.outcome': 'success' }), replay);
		truth.ownE2eMs.push(30 * 60_000 + 600);
		truth.total++;
		truth.succeeded++;
		truth.replays++;
	}

	// 4. two retries inside one trace: succeeded, e2e counts (the whole trace), replays
	for (let k = 0; k < 2; k++) {
		const t0 = nowMs - 2.5 * H + k * 3 * 60_000;
		const corr = `SO-T${k}`;
		const d = 45_000 + k * 20_000;
		const r = root(corr, t0, t0 + d);
		span('create SO', t0 + 10, t0 + 500, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'failed', 'integration.attempt': 1 }), r.s, true);
		span('create SO', t0 + 20_000, t0 + 21_000, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'success', 'integration.attempt': 2 }), r.s);
		span('update CRM', t0 + d - 500, t0 + d - 100, base(corr, 'crm.update-status', { 'integration.outcome': 'success' }), r.s);
		r.end();
		truth.e2eMs.push(d);
		truth.ownE2eMs.push(d - 100);
		truth.total++;
		truth.succeeded++;
		truth.replays++;
	}

	// 5. two stuck transactions: no failure, end step (crm.update-status, within 30m) never reached
	for (const [k, amount] of [500, 700].entries()) {
		const t0 = nowMs - 2 * H + k * 60_000;
		const corr = `SO-S${k}`;
		const r = root(corr, t0, t0 + 1_500 + k * 100, { 'integration.amount': amount });
		span('create SO', t0 + 10, t0 + 1_000, base(corr, 'erp.create-sales-order', { 'integration.outcome': 'success' }), r.s);
		r.end();
		truth.e2eMs.push(1_500 + k * 100); // its first trace succeeded
		truth.total++;
		truth.succeeded++;
		truth.valueAtRisk += amount;
		truth.valueAtRiskByCurrency[''] = (truth.valueAtRiskByCurrency[''] ?? 0) + amount;
	}

	// 6. started before the window, active inside it: not this window's transaction
	const early = root('SO-EARLY', from - H, from - H + 500);
	early.end();
	span('late update', nowMs - 2 * H, nowMs - 2 * H + 100, base('SO-EARLY', 'crm.update-status', { 'integration.outcome': 'failed' }), undefined, true);
	// a PO sent before the window and acknowledged inside it: neither a transaction nor a milestone of this window
	const earlyPo = root('SO-EARLYPO', from - 40 * 60_000, from - 29 * 60_000);
	span('send PO', from - 30 * 60_000, from - 30 * 60_000 + 100, base('SO-EARLYPO', 'supplier.send-po'), earlyPo.s);
	earlyPo.end();
	span('PO ack', nowMs - 3 * H, nowMs - 3 * H + 10, base('SO-EARLYPO', 'supplier.po-ack', { 'integration.outcome': 'success' }));
	// another flow's transaction
	span('x', nowMs - H, nowMs - H + 10, { 'integration.flow': 'other-flow', 'integration.correlation_id': 'X-1', 'integration.step': 'a.step' });

	// 7. dead letters: three in the window (one re-sent), one before it
	for (let k = 0; k < 3; k++) {
		logger.emit({
			eventName: 'integration.dead_letter',
			timestamp: new Date(nowMs - 3 * H + k * 60_000 + 5_000),
			severityNumber: SeverityNumber.ERROR,
			body: `{"order":"SO-F${k}"}`,
			attributes: base(`SO-F${k}`, 'erp.create-sales-order', { 'integration.message_id': `m-${k}` })
		});
	}
	logger.emit({ eventName: 'integration.dead_letter', timestamp: new Date(from - 10 * 60_000), body: '{}', attributes: base('SO-OLD', 'erp.create-sales-order', { 'integration.message_id': 'm-old' }) });
	truth.deadLetters = 3;

	const all = spans.getFinishedSpans();
	const allLogs = logs.getFinishedLogRecords();
	return {
		spans: all,
		logs: [...allLogs, allLogs[1]], // a re-sent dead letter
		resent: all.filter((s) => String(s.attributes['integration.correlation_id'] ?? '').startsWith('SO-1')),
		truth,
		window: { from: new Date(from), to: new Date(nowMs), now: new Date(nowMs) }
	};
}

/** The rank bounds a quantile q of values may fall between (any interpolation), widened by the relative accuracy. */
export function quantileBounds(values: number[], q: number, rel: number): [number, number] {
	const s = [...values].sort((a, b) => a - b);
	const pos = q * (s.length - 1);
	return [s[Math.floor(pos)] * (1 - rel), s[Math.ceil(pos)] * (1 + rel)];
}
