/** The exceptions pages' display helpers, on top of the console's one formatter ($lib/format). */
import { formatDateTime, formatRelative } from '$lib/format';
import { money as formatMoney } from '$lib/sla/format';

export const utc = (ts: string) => formatDateTime(ts);

/** Relative time at a person's precision: under a minute is "just now", never "85 ms ago". */
export function ago(ts: string, now: number = Date.now()): string {
	const t = Date.parse(/^\d{4}-\d{2}-\d{2} \d/.test(ts) ? `${ts.replace(' ', 'T').slice(0, 23)}Z` : ts);
	if (Number.isFinite(t) && Math.abs(now - t) < 60_000) return now >= t ? 'just now' : 'in under a minute';
	return formatRelative(ts, now).replace(/ \d+ s( ago)?$/, '$1');
}

/** Absolute and relative, for a time a decision depends on: "2026-12-03 17:10:55 UTC (4 min ago)". */
export const when = (ts: string) => `${utc(ts)} (${ago(ts)})`;

/** Money as every page shows it: the currency's minor units ("EUR 48,250.00"). */
export const money = (amount: number | null, currency: string): string => formatMoney(amount, currency);

/** The console's badge colour for an exception state (app.css .badge.ok|warn|fail|info). */
export function stateBadge(state: string): 'ok' | 'warn' | 'fail' | 'info' {
	if (state === 'open' || state === 'rejected') return 'fail';
	if (state === 'replay_requested' || state === 'replay_approved') return 'warn';
	if (state === 'resolved' || state === 'replayed') return 'ok';
	return 'info';
}

export const stateLabel = (state: string) => state.replaceAll('_', ' ');
