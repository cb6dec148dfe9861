import { describe, expect, it } from 'vitest';
import { formatDateTime, formatDuration, formatMinute, formatPercent, formatRelative, formatTime, setDisplayZone, zoneName } from '../../src/lib/format';
import { route } from '../../src/lib/route';

describe('format', () => {
	it('formats durations for people', () => {
		expect(formatDuration(0.4)).toBe('0.40 ms');
		expect(formatDuration(7.25)).toBe('7.3 ms');
		expect(formatDuration(640)).toBe('640 ms');
		expect(formatDuration(1530)).toBe('1.53 s');
		expect(formatDuration(30_000)).toBe('30.0 s');
		expect(formatDuration(95_000)).toBe('1 m 35 s');
		expect(formatDuration(7_200_000)).toBe('2 h');
		expect(formatDuration(90_061_000)).toBe('1 d 1 h');
		expect(formatDuration(null)).toBe('—');
	});
	it('reads ClickHouse DateTime64 text as UTC', () => {
		expect(formatDateTime('2026-11-23 12:04:05.123456789')).toBe('2026-11-23 12:04:05 UTC');
		expect(formatTime('2026-11-23T12:04:05.123Z')).toBe('12:04:05.123');
		expect(formatDateTime('nonsense')).toBe('—');
	});
	it('shows times in the chosen display zone, named; unknown zones fall back to UTC', () => {
		try {
			setDisplayZone('America/New_York');
			expect(formatDateTime('2026-11-23 12:04:05.123456789')).toBe('2026-11-23 07:04:05 EST');
			expect(formatTime('2026-11-23T12:04:05.123Z')).toBe('07:04:05.123');
			expect(formatMinute('2026-07-01T00:30:00Z')).toBe('2026-06-30 20:30');
			expect(zoneName('2026-07-01T00:30:00Z')).toBe('EDT');
			setDisplayZone('Not/AZone');
			expect(formatDateTime('2026-11-23T12:04:05Z')).toBe('2026-11-23 12:04:05 UTC');
		} finally {
			setDisplayZone('UTC');
		}
	});
	it('says how long ago', () => {
		const now = Date.parse('2026-11-23T12:00:00Z');
		expect(formatRelative('2026-11-23T11:57:00Z', now)).toBe('3 m ago');
		expect(formatRelative('2026-11-23T14:00:00Z', now)).toBe('in 2 h');
		expect(formatPercent(0.99541)).toBe('99.54 %');
	});
});

describe('route', () => {
	it('encodes keys and query state', () => {
		expect(route.lineageKey('SO 1/2')).toBe('/lineage/SO%201%2F2');
		expect(route.lineageKey('SO-1', { span: 'ab:cd' })).toBe('/lineage/SO-1?span=ab%3Acd');
		expect(route.login('/lineage/SO-1?span=x')).toBe('/login?redirectTo=%2Flineage%2FSO-1%3Fspan%3Dx');
		expect(route.api.lineage('SO-1&x=1')).toBe('/api/v1/lineage?key=SO-1%26x%3D1');
	});
});
