/** How an alert's value and threshold read, by rule: one formatter for the alert pages. */
import { formatRelative } from '$lib/format';
import { objective } from '$lib/sla/format';

function unit(rule: string): 'ratio' | 'ms' | 'perHour' | 'count' {
	if (rule === 'breach:successRate' || rule === 'breach:duplicateRate') return 'ratio';
	if (rule === 'breach:deadLettersPerHour') return 'perHour';
	if (rule.startsWith('breach:')) return 'ms';
	return 'count';
}

/** "97.3 %", "2 m", "2/h", "14.4×" (burn rate), "3 in 15 min" (dead-letter growth) */
export function alertValue(rule: string, v: number): string {
	if (rule === 'burn-rate') return `${v < 100 ? Number(v.toFixed(1)) : Math.round(v)}×`;
	if (rule === 'dlq-growth') return `${Number.isInteger(v) ? v : v.toFixed(2)} in 15 min`;
	if (rule.startsWith('recon-')) return String(v);
	return objective(v, unit(rule));
}

/** "just now" under a minute (no "85 ms ago"), else "6 m 35 s ago" */
export function ago(iso: string, now = Date.now()): string {
	return now - Date.parse(iso) < 60_000 ? 'just now' : formatRelative(iso, now);
}

/** A person's name for a rule id. */
export function ruleLabel(rule: string): string {
	const names: Record<string, string> = {
		'burn-rate': 'Error-budget burn rate',
		'dlq-growth': 'Dead-letter growth',
		'breach:successRate': 'Success rate below objective',
		'breach:e2eP95': 'End-to-end p95 above objective',
		'breach:e2eP99': 'End-to-end p99 above objective',
		'breach:eventDelayP95': 'Event delay p95 above objective',
		'breach:deadLettersPerHour': 'Dead letters per hour above objective',
		'breach:duplicateRate': 'Duplicate rate above objective'
	};
	if (rule.startsWith('recon-missing:')) return `Reconciliation ${rule.slice(14)}: keys missing past grace`;
	if (rule.startsWith('recon-control-total:')) return `Reconciliation ${rule.slice(20)}: control totals differ`;
	return names[rule] ?? (rule.startsWith('breach:milestone:') ? `Milestone ${rule.slice(17)} p95 above objective` : rule);
}

export const SILENCE_CHOICES = [
	{ minutes: 15, label: '15 minutes' },
	{ minutes: 60, label: '1 hour' },
	{ minutes: 240, label: '4 hours' },
	{ minutes: 480, label: '8 hours' },
	{ minutes: 1440, label: '24 hours' },
	{ minutes: 4320, label: '3 days' },
	{ minutes: 10080, label: '7 days' }
];
