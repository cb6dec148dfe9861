/**
 * Time display for the exceptions pages. ClickHouse returns UTC "YYYY-MM-DD hh:mm:ss.fff…".
 * TODO(console merge): switch to $lib/format once the console's formatter lands (one formatter).
 */
export function parseUtc(ts: string): Date {
	return new Date(ts.slice(0, 23).replace(' ', 'T') + 'Z');
}

export function ago(ts: string, now = Date.now()): string {
	const s = Math.max(0, Math.round((now - parseUtc(ts).getTime()) / 1000));
	if (s < 60) return `${s}s ago`;
	if (s < 3600) return `${Math.floor(s / 60)}m ago`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
	return `${Math.floor(s / 86400)}d ago`;
}

export function utc(ts: string): string {
	return `${ts.slice(0, 19)} UTC`;
}

export function money(amount: number | null, currency: string): string {
	if (amount === null) return '—';
	return `${amount.toLocaleString('en-US', { maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ''}`;
}
