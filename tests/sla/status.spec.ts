import { describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { EMPTY } from '../../src/lib/server/sla/kpis';
import { parseRange } from '../../src/lib/server/sla/range';
import { checks, flowRag } from '../../src/lib/server/sla/status';
import { evaluateFlow } from '../../src/lib/server/alerts/rules';

const flow = parseCatalogue(`
flows:
  - id: f
    name: F
    businessOwner: a
    technicalOwner: b
    objectives: { successRate: 0.99, e2eP95: 1m, deadLettersPerHour: 4 }
`).flows[0];
const tx = (total: number, failed: number, p95: number | null = 1000) => ({ ...EMPTY, total, failed, succeeded: total - failed, successRate: total ? (total - failed) / total : null, e2eMs: { p50: null, p95, p99: null } });

describe('red / amber / green', () => {
	it('green within objectives, amber past 80% of the budget, red when breached, none without data', () => {
		expect(flowRag(flow, { tx: tx(1000, 5), deadLetters: 0, hours: 1 })).toBe('green');
		expect(flowRag(flow, { tx: tx(1000, 9), deadLetters: 0, hours: 1 })).toBe('amber');
		expect(flowRag(flow, { tx: tx(1000, 11), deadLetters: 0, hours: 1 })).toBe('red');
		expect(flowRag(flow, { tx: tx(1000, 0, 61_000), deadLetters: 0, hours: 1 })).toBe('red');
		expect(flowRag(flow, { tx: tx(1000, 0), deadLetters: 10, hours: 2 })).toBe('red');
		expect(flowRag(flow, { tx: tx(0, 0, null), deadLetters: 0, hours: 1 })).toBe('none');
		expect(checks(flow, { tx: tx(100, 1), deadLetters: 2, hours: 1 }).map((c) => c.objective)).toEqual(['successRate', 'e2eP95', 'deadLettersPerHour']);
	});

	it('burn rate fires only when both windows burn fast', () => {
		const w = (hourFailed: number, fiveFailed: number) => ({ hour: tx(1000, hourFailed), fiveMin: tx(100, fiveFailed), deadLettersHour: 0, deadLetters15m: 0, deadLettersPrev15m: 0 });
		const burn = (hf: number, ff: number) => evaluateFlow(flow, w(hf, ff)).find((e) => e.rule === 'burn-rate')!.firing;
		expect(burn(150, 15)).toBe(true); // 15× in both
		expect(burn(150, 1)).toBe(false); // recovered in the last 5 minutes
		expect(burn(100, 15)).toBe(false); // 10× over the hour
	});
});

describe('time range from the URL', () => {
	const now = new Date('2026-11-23T12:00:30Z');
	it('presets, previous period and bucket', () => {
		const r = parseRange(new URLSearchParams('range=7d'), now);
		expect(r.to.toISOString()).toBe('2026-11-23T12:01:00.000Z');
		expect(r.to.getTime() - r.from.getTime()).toBe(7 * 86_400_000);
		expect(r.previous.to).toEqual(r.from);
		expect(r.bucketSeconds).toBe(7200);
		expect(parseRange(new URLSearchParams('range=24h'), now).bucketSeconds).toBe(900);
		expect(parseRange(new URLSearchParams('range=nonsense'), now).range).toBe('24h');
	});
	it('custom UTC ranges, clamped to 31 days', () => {
		const r = parseRange(new URLSearchParams('range=custom&from=2026-11-01T00:00&to=2026-11-02T06:00'), now);
		expect([r.range, r.from.toISOString(), r.to.toISOString()]).toEqual(['custom', '2026-11-01T00:00:00.000Z', '2026-11-02T06:00:00.000Z']);
		const long = parseRange(new URLSearchParams('range=custom&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z'), now);
		expect(long.to.getTime() - long.from.getTime()).toBe(31 * 86_400_000);
	});
});
