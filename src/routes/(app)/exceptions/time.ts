/** The exceptions pages' display helpers, on top of the console's one formatter ($lib/format). */
import { formatDateTime, formatNumber, formatRelative } from '$lib/format';

export const ago = (ts: string) => formatRelative(ts);
export const utc = (ts: string) => formatDateTime(ts);

export function money(amount: number | null, currency: string): string {
	if (amount === null) return '—';
	return `${formatNumber(amount)}${currency ? ` ${currency}` : ''}`;
}
