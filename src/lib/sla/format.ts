/**
 * Number formatting for SLA dashboards (durations, rates, money, deltas). Shared by the SLA and
 * alert pages; the console's src/lib/format.ts may absorb these when both are on main.
 */

/** 850 ms, 12.4 s, 3.2 min, 4.1 h, 2.0 d */
export function duration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
	if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
	if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
	return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** 0.99734 → "99.73%" */
export function percent(r: number | null | undefined, digits = 2): string {
	if (r === null || r === undefined || !Number.isFinite(r)) return '—';
	return `${(r * 100).toFixed(digits)}%`;
}

export function count(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return new Intl.NumberFormat('en', { notation: n >= 100_000 ? 'compact' : 'standard', maximumFractionDigits: 1 }).format(n);
}

/** Money without a currency symbol (flows mix currencies; amounts are summed as reported). */
export function money(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return new Intl.NumberFormat('en', { notation: n >= 1_000_000 ? 'compact' : 'standard', maximumFractionDigits: n >= 1_000_000 ? 2 : 0 }).format(n);
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
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
	return `/exceptions?${p}`;
}
