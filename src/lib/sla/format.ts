/**
 * SLA-specific figures (compact counts, money, change vs the previous period, objective values,
 * links to exceptions) on top of the console's one formatter, $lib/format.
 */
import { formatDuration, formatPercent } from '$lib/format';
import { route } from '$lib/route';

export const duration = formatDuration;
export const percent = formatPercent;

export function count(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return new Intl.NumberFormat('en', { notation: n >= 100_000 ? 'compact' : 'standard', maximumFractionDigits: 1 }).format(n);
}

/** Money without a currency symbol (flows mix currencies; amounts are summed as reported). */
export function money(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return new Intl.NumberFormat('en', { notation: n >= 1_000_000 ? 'compact' : 'standard', maximumFractionDigits: n >= 1_000_000 ? 2 : 0 }).format(n);
}

/**
 * Money per currency, never summed across currencies: "18,450 EUR", "1,200 USD + 900 CAD";
 * amounts that name no currency show bare.
 */
export function moneyByCurrency(byCurrency: Record<string, number> | undefined): string {
	const entries = Object.entries(byCurrency ?? {})
		.filter(([, v]) => v !== 0)
		.sort((a, b) => b[1] - a[1]);
	if (entries.length === 0) return '0';
	return entries.map(([c, v]) => (c ? `${money(v)} ${c}` : money(v))).join(' + ');
}

/** Both periods' amounts are in (at most) one and the same currency, so a change between them means something. */
export function sameCurrency(a: Record<string, number> | undefined, b: Record<string, number> | undefined): boolean {
	return new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]).size <= 1;
}

/** Per-currency sums of several figures (the overview's total across flows). */
export function addByCurrency(all: (Record<string, number> | undefined)[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const m of all) for (const [c, v] of Object.entries(m ?? {})) out[c] = (out[c] ?? 0) + v;
	return out;
}

/** Change vs the previous period, e.g. "+1.2 pts", "−8%"; null when there is nothing to compare. */
export function delta(now: number | null, prev: number | null, kind: 'ratio' | 'relative'): { text: string; dir: 'up' | 'down' | 'flat' } | null {
	if (now === null || prev === null || !Number.isFinite(now) || !Number.isFinite(prev)) return null;
	if (kind === 'ratio') {
		const pts = (now - prev) * 100;
		if (Math.abs(pts) < 0.005) return { text: '±0 pts', dir: 'flat' };
		return { text: `${pts > 0 ? '+' : '−'}${Math.abs(pts).toFixed(2)} pts`, dir: pts > 0 ? 'up' : 'down' };
	}
	if (prev === 0) return now === 0 ? { text: '±0%', dir: 'flat' } : null;
	const rel = (now - prev) / prev;
	if (Math.abs(rel) < 0.005) return { text: '±0%', dir: 'flat' };
	// against an almost empty previous period a percentage says nothing ("+167000%"): give the factor
	if (rel >= 9) return { text: `${Math.round(now / prev).toLocaleString('en-US')}× previous`, dir: 'up' };
	return { text: `${rel > 0 ? '+' : '−'}${Math.abs(rel * 100).toFixed(0)}%`, dir: rel > 0 ? 'up' : 'down' };
}

export function objective(v: number, unit: 'ratio' | 'ms' | 'count' | 'perHour'): string {
	if (unit === 'ratio') return percent(v, v > 0.99 ? 2 : 1);
	if (unit === 'ms') return duration(v);
	if (unit === 'perHour') return `${v.toFixed(v < 10 ? 1 : 0)}/h`;
	return count(v);
}

/** Exceptions list behind a number (the exceptions page filters by these query parameters). */
export function exceptionsHref(q: Record<string, string | undefined>): string {
	return route.exceptions(q);
}
