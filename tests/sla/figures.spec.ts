/**
 * One test per figure that misled (issue 15, "Numbers that mislead"): each is checked at its one
 * definition — the server's rules in src/lib/server/sla (comparison, status drivers, buckets) and
 * the console's formatters and chart options every SLA page uses.
 */
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/lib/format';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { comparison, MIN_COMPARABLE_TRANSACTIONS } from '../../src/lib/server/sla/compare';
import { EMPTY } from '../../src/lib/server/sla/kpis';
import { bucketFor, MAX_BUCKETS, parseRange } from '../../src/lib/server/sla/range';
import { checks, drivers, flowRag } from '../../src/lib/server/sla/status';
import { delta, durationInterval, durationTick, hasMoney, money, moneyByCurrency, objective, rate, STATUS_LABEL } from '../../src/lib/sla/format';
import { latencyChart, MIN_RATE_VOLUME, volumeChart } from '../../src/routes/(app)/sla/[flow]/charts';
import type { FlowPageData } from '../../src/lib/server/sla/flow-page';

const flow = parseCatalogue(`
flows:
  - id: f
    name: F
    businessOwner: a
    technicalOwner: b
    objectives: { successRate: 0.99, e2eP95: 2s, deadLettersPerHour: 5 }
`).flows[0];
const tx = (total: number, failed: number, p95: number | null = 800) => ({ ...EMPTY, total, failed, succeeded: total - failed, successRate: total ? (total - failed) / total : null, e2eMs: { p50: p95, p95, p99: p95 } });

/** A flow page's data with only what the charts read. */
function page(series: { t: string; total: number; failed: number; e2e: number | null }[]): FlowPageData {
	return {
		series: series.map((s) => ({ ...tx(s.total, s.failed, s.e2e), t: s.t })),
		deadLetterSeries: [],
		milestones: {}
	} as unknown as FlowPageData;
}

describe('numbers that mean one thing', () => {
	it('"497× previous": no comparison against a previous period with too few transactions', () => {
		expect(comparison(994, 2)).toEqual({ comparable: false, reason: 'only 2 transactions in the previous period' });
		expect(comparison(994, 0).comparable).toBe(false);
		expect(comparison(5, 400)).toEqual({ comparable: false, reason: 'only 5 transactions in this period' });
		expect(comparison(994, MIN_COMPARABLE_TRANSACTIONS).comparable).toBe(true);
		// the pages pass the rule to delta(): no change is shown when it says no
		expect(delta(994, 2, 'relative', comparison(994, 2).comparable)).toBeNull();
		expect(delta(994, 400, 'relative', comparison(994, 400).comparable)).toEqual({ text: '+149%', dir: 'up' });
	});

	it('"100.00 % success, 0 failed, 6 dead letters, Breached": the status names what is breached', () => {
		const status = { tx: tx(200, 0), deadLetters: 6, hours: 1 };
		const rag = flowRag(flow, status);
		expect(rag).toBe('red');
		const why = drivers(checks(flow, status), rag);
		expect(why.map((c) => c.objective)).toEqual(['deadLettersPerHour']);
		expect(`${why[0].label} ${objective(why[0].actual!, why[0].unit)} (objective ≤ ${objective(why[0].target, why[0].unit)})`).toBe('Dead letters / hour 6/h (objective ≤ 5/h)');
		expect(drivers(checks(flow, { tx: tx(200, 0), deadLetters: 0, hours: 1 }), 'green')).toEqual([]);
	});

	it('"At risk" is money only: no status is called that, and flows without money show no money figure', () => {
		for (const label of Object.values(STATUS_LABEL)) expect(label.toLowerCase()).not.toContain('risk');
		expect(moneyByCurrency({})).toBe('');
		expect(hasMoney({}, { USD: 0 })).toBe(false);
		expect(hasMoney({}, { USD: 12 })).toBe(true);
	});

	it('"12,645.7 USD": amounts in the currency\'s minor units', () => {
		expect(money(12_645.7, 'USD')).toBe('USD 12,645.70');
		expect(money(1500, 'JPY')).toBe('JPY 1,500');
		expect(money(12.5, 'BHD')).toBe('BHD 12.500');
		expect(money(2_450_000, 'EUR')).toBe('EUR 2.45M');
		expect(money(99.5)).toBe('99.5');
		expect(moneyByCurrency({ USD: 1200, CAD: 900.5 })).toBe('USD 1,200.00 + CAD 900.50');
	});

	it('"Success rate 1" on a percent axis: a rate is always a percent', () => {
		expect(rate(1)).toBe('100 %');
		expect(rate(0.973)).toBe('97.3 %');
		const option = volumeChart(page([{ t: '2026-12-03T10:00:00.000Z', total: 40, failed: 1, e2e: 30 }]));
		const axis = (option.yAxis as { axisLabel?: { formatter?: (v: number) => string } }[])[1];
		expect(axis.axisLabel!.formatter!(1)).toBe('100 %');
	});

	it('the success line does not jump 100 % ↔ 0 % on buckets of one or two transactions', () => {
		const option = volumeChart(
			page([
				{ t: '2026-12-03T10:00:00.000Z', total: 40, failed: 2, e2e: 30 },
				{ t: '2026-12-03T10:15:00.000Z', total: 1, failed: 1, e2e: null },
				{ t: '2026-12-03T10:30:00.000Z', total: MIN_RATE_VOLUME, failed: 0, e2e: 30 }
			])
		);
		const line = (option.series as { type: string; data: [string, number | null, number][] }[]).find((s) => s.type === 'line')!;
		expect(line.data.map((d) => d[1])).toEqual([0.95, null, 1]);
	});

	it('"0.00 ms" ticks: one unit chosen for the range, no false precision', () => {
		expect(formatDuration(0)).toBe('0 ms');
		const ms = durationTick(41);
		expect([0, 10, 20, 40].map(ms)).toEqual(['0 ms', '10 ms', '20 ms', '40 ms']);
		const s = durationTick(90_000);
		expect([0, 1500, 30_000].map(s)).toEqual(['0 s', '1.5 s', '30 s']);
		const min = durationTick(5_400_000);
		expect(min(5_400_000)).toBe('90 min');
		expect(durationInterval(6_000_000)).toBe(20 * 60_000); // up to 100 min: 0, 20, 40 … min
		expect(durationInterval(3.3 * 3_600_000)).toBe(3_600_000); // 3.3 h: whole hours, not "0.56 h, 1.1 h"
		expect(durationInterval(41)).toBe(10);
	});

	it('"objective 1.3 · for 0 min": objectives print without stray decimals', () => {
		expect(objective(5, 'perHour')).toBe('5/h');
		expect(objective(1.25, 'perHour')).toBe('1.3/h');
		expect(objective(0.995, 'ratio')).toBe('99.50 %');
		expect(objective(120_000, 'ms')).toBe('2 m');
	});

	it('the end-to-end chart shows 25–41 ms: points marked, the 2 s objective off the scale instead of flattening them', () => {
		const option = latencyChart(
			page([
				{ t: '2026-12-03T10:00:00.000Z', total: 3, failed: 0, e2e: 25 },
				{ t: '2026-12-03T12:00:00.000Z', total: 2, failed: 0, e2e: 41 }
			]),
			2000
		);
		const series = option.series as { name: string; showSymbol: boolean; markLine?: unknown; data: [string, number][] }[];
		const p95 = series.find((s) => s.name.startsWith('p95'))!;
		expect(p95.showSymbol).toBe(true);
		expect(p95.markLine).toBeUndefined();
		expect(p95.name).toBe('p95 (objective 2.00 s, off the scale)');
		const axis = option.yAxis as { axisLabel: { formatter: (v: number) => string } };
		expect(axis.axisLabel.formatter(40)).toBe('40 ms');
	});

	it('buckets sized to the range: no per-minute "barcode" over a day', () => {
		const now = new Date('2026-12-03T12:00:00Z');
		const sizes = Object.fromEntries(['1h', '24h', '7d', '30d'].map((r) => [r, parseRange(new URLSearchParams(`range=${r}`), now).bucketSeconds]));
		expect(sizes).toEqual({ '1h': 60, '24h': 900, '7d': 7200, '30d': 21_600 });
		for (const days of [0.01, 0.5, 1, 3, 7, 14, 31]) {
			const span = days * 86_400_000;
			expect(span / (bucketFor(span) * 1000)).toBeLessThanOrEqual(MAX_BUCKETS);
		}
	});
});
