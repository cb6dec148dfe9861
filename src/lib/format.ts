/**
 * The one date/duration/number formatter for the console. Times are shown in the person's display
 * zone (a preference, UTC unless they choose another) with the zone named, so two people looking at
 * the same incident can tell which clock they read.
 */

type DateLike = Date | string | number;

let zone = 'UTC';

/** Is this an IANA time zone the runtime knows? */
export function isTimeZone(z: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: z });
		return true;
	} catch {
		return false;
	}
}

/**
 * The zone every time is shown in: set by the root layout from the person's preference before
 * anything renders (server rendering of one page is synchronous, so requests do not mix).
 */
export function setDisplayZone(z: string | undefined | null): void {
	zone = z && isTimeZone(z) ? z : 'UTC';
}

export function displayZone(): string {
	return zone;
}

/** Date and time parts in the display zone (24 h clock), and the zone's short name. */
function inZone(d: Date): { date: string; time: string; name: string } {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
			.formatToParts(d)
			.map((p) => [p.type, p.value])
	);
	return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}`, name: parts.timeZoneName ?? zone };
}

function toDate(v: DateLike): Date {
	if (v instanceof Date) return v;
	if (typeof v === 'number') return new Date(v);
	// ClickHouse DateTime64 text ("2026-11-23 12:00:00.123456789") has no zone: it is UTC.
	const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(v) ? v.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1') + 'Z' : v;
	return new Date(iso);
}

/** "2026-11-23 12:04:05 UTC" (or "2026-11-23 13:04:05 CET" in the display zone Europe/Berlin) */
export function formatDateTime(v: DateLike): string {
	const d = toDate(v);
	if (Number.isNaN(d.getTime())) return '—';
	if (zone === 'UTC') return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
	const z = inZone(d);
	return `${z.date} ${z.time} ${z.name}`;
}

/** "2026-11-23 12:04" without the zone, for ranges whose zone is said once ("… – … UTC") */
export function formatMinute(v: DateLike): string {
	const d = toDate(v);
	if (Number.isNaN(d.getTime())) return '—';
	if (zone === 'UTC') return d.toISOString().slice(0, 16).replace('T', ' ');
	const z = inZone(d);
	return `${z.date} ${z.time.slice(0, 5)}`;
}

/** The display zone's short name at a time ("UTC", "CET", "GMT-5") */
export function zoneName(v: DateLike = Date.now()): string {
	return zone === 'UTC' ? 'UTC' : inZone(toDate(v)).name;
}

/** "12:04:05.123" (display zone), for timelines within one day */
export function formatTime(v: DateLike): string {
	const d = toDate(v);
	if (Number.isNaN(d.getTime())) return '—';
	if (zone === 'UTC') return d.toISOString().slice(11, 23);
	return `${inZone(d).time}.${d.toISOString().slice(20, 23)}`;
}

/** 0.4 → "0.4 ms", 1530 → "1.53 s", 95_000 → "1 m 35 s", 7_200_000 → "2 h" */
export function formatDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
	const sign = ms < 0 ? '-' : '';
	const a = Math.abs(ms);
	if (a === 0) return '0 ms';
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
