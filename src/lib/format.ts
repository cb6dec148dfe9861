/**
 * The one date/duration/number formatter for the console. Times are shown in UTC with an explicit
 * suffix, so two people looking at the same incident read the same clock.
 */

type DateLike = Date | string | number;

function toDate(v: DateLike): Date {
	if (v instanceof Date) return v;
	if (typeof v === 'number') return new Date(v);
	// ClickHouse DateTime64 text ("2026-11-23 12:00:00.123456789") has no zone: it is UTC.
	const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(v) ? v.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1') + 'Z' : v;
	return new Date(iso);
}

/** "2026-11-23 12:04:05 UTC" */
export function formatDateTime(v: DateLike): string {
	const d = toDate(v);
	if (Number.isNaN(d.getTime())) return '—';
	return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "12:04:05.123" (UTC), for timelines within one day */
export function formatTime(v: DateLike): string {
	const d = toDate(v);
	if (Number.isNaN(d.getTime())) return '—';
	return d.toISOString().slice(11, 23);
}

/** 0.4 → "0.4 ms", 1530 → "1.53 s", 95_000 → "1 m 35 s", 7_200_000 → "2 h" */
export function formatDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
	const sign = ms < 0 ? '-' : '';
	const a = Math.abs(ms);
	if (a < 1) return `${sign}${a.toFixed(2)} ms`;
	if (a < 1000) return `${sign}${a < 10 ? a.toFixed(1) : Math.round(a)} ms`;
	if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
	const units: [string, number][] = [
		['d', 86_400_000],
		['h', 3_600_000],
		['m', 60_000],
		['s', 1000]
	];
	const parts: string[] = [];
	let rest = a;
	for (const [u, size] of units) {
		const n = Math.floor(rest / size);
		if (n > 0) parts.push(`${n} ${u}`);
		rest -= n * size;
		if (parts.length === 2) break;
	}
	return sign + parts.join(' ');
}

/** "3 min ago", "in 2 h" relative to now */
export function formatRelative(v: DateLike, now: number = Date.now()): string {
	const diff = toDate(v).getTime() - now;
	if (Number.isNaN(diff)) return '—';
	const text = formatDuration(Math.abs(diff)).replace(/\.\d+ s$/, ' s');
	return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** 0.9954 → "99.54 %" */
export function formatPercent(ratio: number | null | undefined, digits = 2): string {
	if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
	return `${(ratio * 100).toFixed(digits)} %`;
}

/** 1234567 → "1,234,567" */
export function formatNumber(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return n.toLocaleString('en-US');
}
