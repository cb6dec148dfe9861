/**
 * A reconciliation scenario with known ground truth, emitted through the real OpenTelemetry SDK:
 * orders leave the CRM and must reach the ERP, the new ERP (coexistence during a migration) and,
 * optionally, the WMS (fan-out). Every case appears: matched, missing past grace, pending inside
 * grace, late inside and outside grace, duplicated, mismatched (amount, currency), inside the
 * tolerance, unexpected, a failed delivery (missing, with its exception), a failed source (not a
 * source), keys before the window, a re-sent span, and control totals that agree, disagree, are
 * re-sent (the latest wins) or malformed (ignored).
 */
import { ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';

export const FLOW = 'recon-test';
const H = 3_600_000;
const M = 60_000;

export const reconCatalogue = parseCatalogue(`
flows:
  - id: ${FLOW}
    name: Orders reach ERP (test)
    businessOwner: Sales ops
    technicalOwner: Integration team
    steps:
      - { id: crm.submit-order, name: Order captured, system: crm }
      - { id: erp.create-sales-order, name: Sales order in ERP, system: erp }
      - { id: erp-new.create-sales-order, name: Sales order in the new ERP, system: erp-new }
      - { id: wms.allocate, name: Allocated in WMS, system: wms, optional: true }
    reconciliation:
      - id: orders
        name: Every CRM order exists once in both ERPs with the same amount
        key: correlation_id
        entityType: sales_order
        source: { step: crm.submit-order, system: crm }
        targets:
          - { step: erp.create-sales-order, system: erp, grace: 30m }
          - { step: erp-new.create-sales-order, system: erp-new, grace: 30m }
          - { step: wms.allocate, system: wms, grace: 1h, required: false, compare: [currency] }
        compare: [amount, currency]
        tolerance: 0.01
`);

type Figures = { matched: number; missing: number; pending: number; absent: number; duplicated: number; mismatched: number; unexpected: number };
const fig = (f: Partial<Figures>): Figures => ({ matched: 0, missing: 0, pending: 0, absent: 0, duplicated: 0, mismatched: 0, unexpected: 0, ...f });

export interface Truth {
	sourceKeys: number;
	targets: Record<string, { figures: Figures; late: number; keys: Partial<Record<keyof Figures, string[]>> }>;
	/** per system: reported and seen count, whether they agree */
	control: Record<string, { reported: number; seen: number; seenAmount: number; agrees: boolean }>;
}

export function emitScenario(nowMs = Math.floor(Date.now() / M) * M) {
	const spans = new InMemorySpanExporter();
	const logs = new InMemoryLogRecordExporter();
	const resource = resourceFromAttributes({ 'service.name': 'mule-orders' });
	const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('recon');
	const logger = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor(logs)] }).getLogger('recon');
	const from = nowMs - 6 * H;

	/** one span (own trace) of a step for an order */
	const point = (step: string, key: string, at: number, attrs: Record<string, string | number> = {}, failed = false) => {
		const s = tracer.startSpan(step, {
			startTime: at,
			attributes: { 'integration.flow': FLOW, 'integration.step': step, 'integration.correlation_id': key, 'integration.currency': 'USD', ...attrs }
		}, ROOT_CONTEXT);
		if (failed) s.setStatus({ code: SpanStatusCode.ERROR, message: 'ERP rejected the order' });
		s.end(at + 200);
	};
	const SRC = 'crm.submit-order', ERP = 'erp.create-sales-order', NEW = 'erp-new.create-sales-order', WMS = 'wms.allocate';
	/** a source and, by default, the same order in the new ERP 2 minutes later */
	const order = (key: string, at: number, amount: number, newErp = true) => {
		point(SRC, key, at, { 'integration.amount': amount });
		if (newErp) point(NEW, key, at + 2 * M, { 'integration.amount': amount });
	};

	// ten clean orders: in both ERPs; the first five also allocated in the WMS
	for (let i = 1; i <= 10; i++) {
		const at = nowMs - 5 * H + i * M;
		order(`K-M${i}`, at, 100 + i);
		point(ERP, `K-M${i}`, at + 3 * M, { 'integration.amount': 100 + i });
		if (i <= 5) point(WMS, `K-M${i}`, at + 5 * M);
	}
	// never reached the (old) ERP, 4 h ago: missing past grace
	order('K-MISS1', nowMs - 4 * H, 10);
	order('K-MISS2', nowMs - 4 * H + M, 20);
	// the ERP call failed (an exception): a failed delivery is not an arrival
	order('K-FAIL', nowMs - 4 * H + 2 * M, 30);
	point(ERP, 'K-FAIL', nowMs - 4 * H + 3 * M, { 'integration.amount': 30 }, true);
	// 10 minutes ago, the ERP has not answered yet: pending (grace 30 min)
	order('K-PEND', nowMs - 10 * M, 40);
	// arrived 25 min after the source (inside grace) and 50 min after (late)
	order('K-LATE-IN', nowMs - 3 * H, 200);
	point(ERP, 'K-LATE-IN', nowMs - 3 * H + 25 * M, { 'integration.amount': 200 });
	order('K-LATE-OUT', nowMs - 3 * H + M, 300);
	point(ERP, 'K-LATE-OUT', nowMs - 3 * H + 51 * M, { 'integration.amount': 300 });
	// created twice in the ERP (two deliveries)
	order('K-DUP', nowMs - 150 * M, 50);
	point(ERP, 'K-DUP', nowMs - 148 * M, { 'integration.amount': 50 });
	point(ERP, 'K-DUP', nowMs - 140 * M, { 'integration.amount': 50 });
	// arrived with another amount, another currency, and an amount inside the tolerance
	order('K-MIS', nowMs - 2 * H, 100);
	point(ERP, 'K-MIS', nowMs - 2 * H + 2 * M, { 'integration.amount': 110 });
	order('K-MIS2', nowMs - 2 * H + M, 70);
	point(ERP, 'K-MIS2', nowMs - 2 * H + 3 * M, { 'integration.amount': 70, 'integration.currency': 'EUR' });
	order('K-TOL', nowMs - 2 * H + 2 * M, 100);
	point(ERP, 'K-TOL', nowMs - 2 * H + 4 * M, { 'integration.amount': 100.005 });
	// in the ERP with no source: unexpected
	point(ERP, 'K-UNEXP', nowMs - 100 * M, { 'integration.amount': 999 });
	// a failed CRM submission is not a source
	point(SRC, 'K-SRCFAIL', nowMs - 90 * M, { 'integration.amount': 5 }, true);
	// before the window: not counted (its ERP record is outside the window too)
	order('K-OLD', from - 60 * M, 1);
	point(ERP, 'K-OLD', from - 30 * M, { 'integration.amount': 1 });

	const emitted = spans.getFinishedSpans();
	// a client re-sends the batch holding K-M1's ERP span: stored twice, counted once
	const resent = emitted.filter((s) => s.attributes['integration.correlation_id'] === 'K-M1' && s.attributes['integration.step'] === ERP);

	// control totals reported by the systems of record for the window
	const total = (system: string, count: number | string, sums: Record<string, number>, at: number) =>
		logger.emit({
			eventName: 'integration.control_total',
			timestamp: new Date(at),
			severityNumber: SeverityNumber.INFO,
			body: `${system} control total`,
			attributes: {
				'integration.control.system': system,
				'integration.control.entity_type': 'sales_order',
				'integration.control.window_start': new Date(from).toISOString(),
				'integration.control.window_end': new Date(nowMs).toISOString(),
				'integration.control.count': count,
				...Object.fromEntries(Object.entries(sums).map(([k, v]) => [`integration.control.sum.${k}`, v]))
			}
		});
	// seen in the ERP: 10 clean + late-in + late-out + tol + dup ×2 + mis + mis2 + unexpected = 18 records
	const erpAmount = 1055 + 200 + 300 + 100.005 + 100 + 110 + 70 + 999;
	total('erp', 17, { amount: 1000 }, nowMs - 5 * M); // an early report, corrected below
	total('erp', 18, { amount: erpAmount }, nowMs - 2 * M); // the latest report wins: agrees
	const newAmount = 1055 + 10 + 20 + 30 + 40 + 200 + 300 + 50 + 100 + 70 + 100;
	total('erp-new', 21, { amount: newAmount + 75 }, nowMs - 2 * M); // one record more than telemetry saw
	total('wms', 'many', {}, nowMs - 2 * M); // not a number: not a control total

	const truth: Truth = {
		sourceKeys: 20,
		targets: {
			erp: {
				figures: fig({ matched: 13, missing: 3, pending: 1, duplicated: 1, mismatched: 2, unexpected: 1 }),
				late: 1,
				keys: { missing: ['K-MISS1', 'K-MISS2', 'K-FAIL'], pending: ['K-PEND'], duplicated: ['K-DUP'], mismatched: ['K-MIS', 'K-MIS2'], unexpected: ['K-UNEXP'] }
			},
			'erp-new': { figures: fig({ matched: 20 }), late: 0, keys: {} },
			wms: { figures: fig({ matched: 5, absent: 15 }), late: 0, keys: { matched: ['K-M1', 'K-M2', 'K-M3', 'K-M4', 'K-M5'] } }
		},
		control: {
			erp: { reported: 18, seen: 18, seenAmount: erpAmount, agrees: true },
			'erp-new': { reported: 21, seen: 20, seenAmount: newAmount, agrees: false }
		}
	};
	return { spans: emitted, resent, logs: logs.getFinishedLogRecords(), truth, window: { from: new Date(from), to: new Date(nowMs), now: new Date(nowMs) } };
}
