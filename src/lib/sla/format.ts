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

/**
 * An amount in its currency's minor units, with the ISO code: 12645.7 USD → "USD 12,645.70",
 * 1500 JPY → "JPY 1,500"; at a million and above compact ("USD 1.26M"). An amount that names no
 * currency (or an unknown code) shows as a plain number with at most two decimals.
 */
export function money(n: number | null | undefined, currency = ''): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	const compact = Math.abs(n) >= 1_000_000;
	if (/^[A-Z]{3}$/.test(currency)) {
		try {
			return new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'code', notation: compact ? 'compact' : 'standard', maximumFractionDigits: compact ? 2 : undefined }).format(n).replace(/\u00a0/g, ' ');
		} catch {
			// not an ISO 4217 code Intl knows: fall through to the plain number
		}
	}
	const plain = new Intl.NumberFormat('en', { notation: compact ? 'compact' : 'standard', maximumFractionDigits: 2 }).format(n);
	return currency ? `${plain} ${currency}` : plain;
}

/**
 * Money per currency, never summed across currencies: "EUR 18,450.00", "USD 1,200.00 + CAD 900.00";
 * amounts that name no currency show bare. '' when there is no amount at all (the caller says
 * "no amounts", never a bare "0").
 */
export function moneyByCurrency(byCurrency: Record<string, number> | undefined): string {
	return moneyParts(byCurrency).join(' + ');
}

/** The amounts of moneyByCurrency one per currency, largest first (for layouts that stack them). */
export function moneyParts(byCurrency: Record<string, number> | undefined): string[] {
	return Object.entries(byCurrency ?? {})
		.filter(([, v]) => v !== 0)
		.sort((a, b) => b[1] - a[1])
		.map(([c, v]) => money(v, c));
}

/** Does any amount appear in these per-currency sums? (flows that carry no money show no money figure) */
export function hasMoney(...all: (Record<string, number> | undefined)[]): boolean {
	return all.some((m) => Object.values(m ?? {}).some((v) => v !== 0));
}

/** Status words of a flow against its objectives. None of them names money ("at risk" is the value of failed or stuck transactions). */
export const STATUS_LABEL = { red: 'Breached', amber: 'Near limit', green: 'On target', none: 'No data' } as const;

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

/**
 * Change vs the previous period, e.g. "+1.2 pts", "−8%"; null when there is nothing to compare
 * (the server's `compare.comparable` is false: too few transactions in either period) or a
 * figure is missing. Beyond +900 % the factor is given ("12× previous").
 */
export function delta(now: number | null, prev: number | null, kind: 'ratio' | 'relative', comparable = true): { text: string; dir: 'up' | 'down' | 'flat' } | null {
	if (!comparable) return null;
	if (now === null || prev === null || !Number.isFinite(now) || !Number.isFinite(prev)) return null;
	if (kind === 'ratio') {
		const pts = (now - prev) * 100;
		if (Math.abs(pts) < 0.005) return { text: '±0 pts', dir: 'flat' };
		return { text: `${pts > 0 ? '+' : '−'}${Math.abs(pts).toFixed(2)} pts`, dir: pts > 0 ? 'up' : 'down' };
	}
	if (prev === 0) return now === 0 ? { text: '±0%', dir: 'flat' } : null;
	const rel = (now - prev) / prev;
	if (Math.abs(rel) < 0.005) return { text: '±0%', dir: 'flat' };
	if (rel >= 9) return { text: `${Math.round(now / prev).toLocaleString('en-US')}× previous`, dir: 'up' };
	return { text: `${rel > 0 ? '+' : '−'}${Math.abs(rel * 100).toFixed(0)}%`, dir: rel > 0 ? 'up' : 'down' };
}

/** A unit for a set of durations, chosen from the largest: ms below 1 s, s below 2 min, min below 2 h, else h. */
export function durationUnit(maxMs: number): { unit: 'ms' | 's' | 'min' | 'h'; per: number } {
	if (!(maxMs >= 1000)) return { unit: 'ms', per: 1 };
	if (maxMs < 120_000) return { unit: 's', per: 1000 };
	if (maxMs < 7_200_000) return { unit: 'min', per: 60_000 };
	return { unit: 'h', per: 3_600_000 };
}

/**
 * Axis ticks for durations up to maxMs, all in one unit and without false precision:
 * 0 → "0 ms" (never "0.00 ms"), 12.5 → "12.5 ms", 1500 (of 90 s) → "1.5 s", 5_400_000 → "90 min".
 */
export function durationTick(maxMs: number): (v: number) => string {
	const { unit, per } = durationUnit(maxMs);
	return (v: number) => {
		const x = v / per;
		if (x === 0) return `0 ${unit}`;
		const digits = Math.abs(x) >= 10 || Number.isInteger(x) ? 0 : Math.abs(x) >= 1 ? 1 : 2;
		return `${x.toFixed(digits).replace(/\.0+$/, '')} ${unit}`;
	};
}

/**
 * A tick interval for a duration axis up to maxMs: 1, 2 or 5 × a power of ten in the axis's unit,
 * about five ticks ("0, 30, 60, 90 min", never "0.56 h, 1.1 h").
 */
export function durationInterval(maxMs: number): number | undefined {
	if (!(maxMs > 0)) return undefined;
	const { per } = durationUnit(maxMs);
	const raw = maxMs / per / 5;
	const p = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
	return step * per;
}

/** A success rate (0–1) for tooltips and axes: always a percent, "100 %" included, never "1". */
export function rate(v: number | null | undefined, digits = 1): string {
	if (v === null || v === undefined || !Number.isFinite(v)) return '—';
	return v === 1 ? '100 %' : percent(v, digits);
}

export function objective(v: number, unit: 'ratio' | 'ms' | 'count' | 'perHour'): string {
	if (unit === 'ratio') return percent(v, v > 0.99 ? 2 : 1);
	if (unit === 'ms') return duration(v);
	if (unit === 'perHour') return `${v.toFixed(v < 10 ? 1 : 0).replace(/\.0$/, '')}/h`;
	return count(v);
}

/** Exceptions list behind a number (the exceptions page filters by these query parameters). */
export function exceptionsHref(q: Record<string, string | undefined>): string {
	return route.exceptions(q);
}
