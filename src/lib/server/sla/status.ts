/**
 * Red / amber / green of a flow against its objectives. Red: an objective is breached. Amber: an
 * objective has used more than 80% of its allowance (error budget, latency or volume target), or a
 * milestone is pending past its target. Grey ("none"): no transactions in the window.
 */
import type { Flow } from '../flows/schema';
import type { TxFigures } from './kpis';
import type { MilestoneFigures } from './milestones';

export type Rag = 'red' | 'amber' | 'green' | 'none';

export interface Check {
	objective: string;
	label: string;
	actual: number | null;
	target: number;
	/** 'min' when actual must stay at or above target, 'max' when at or below */
	sense: 'min' | 'max';
	unit: 'ratio' | 'ms' | 'count' | 'perHour';
	rag: Rag;
}

const AMBER_AT = 0.8;

function rate(actual: number | null, target: number): Rag {
	if (actual === null) return 'none';
	if (actual < target) return 'red';
	// error budget used: (1 - actual) / (1 - target)
	const budget = 1 - target;
	return budget > 0 && (1 - actual) / budget > AMBER_AT ? 'amber' : 'green';
}

function ceiling(actual: number | null, target: number): Rag {
	if (actual === null) return 'none';
	if (actual > target) return 'red';
	return actual > target * AMBER_AT ? 'amber' : 'green';
}

export function worst(rags: Rag[]): Rag {
	for (const r of ['red', 'amber', 'green'] as const) if (rags.includes(r)) return r;
	return 'none';
}

export interface StatusInput {
	tx: TxFigures;
	deadLetters: number;
	hours: number;
	milestones?: Record<string, MilestoneFigures>;
}

/** Every objective of the flow with its actual value and colour. */
export function checks(flow: Flow, s: StatusInput): Check[] {
	const o = flow.objectives;
	const out: Check[] = [];
	const none = s.tx.total === 0;
	if (o.successRate !== undefined)
		out.push({ objective: 'successRate', label: 'Success rate', actual: s.tx.successRate, target: o.successRate, sense: 'min', unit: 'ratio', rag: rate(s.tx.successRate, o.successRate) });
	if (o.e2eP95 !== undefined)
		out.push({ objective: 'e2eP95', label: 'End-to-end p95', actual: s.tx.e2eMs.p95, target: o.e2eP95, sense: 'max', unit: 'ms', rag: ceiling(s.tx.e2eMs.p95, o.e2eP95) });
	if (o.e2eP99 !== undefined)
		out.push({ objective: 'e2eP99', label: 'End-to-end p99', actual: s.tx.e2eMs.p99, target: o.e2eP99, sense: 'max', unit: 'ms', rag: ceiling(s.tx.e2eMs.p99, o.e2eP99) });
	if (o.eventDelayP95 !== undefined)
		out.push({ objective: 'eventDelayP95', label: 'Event delay p95', actual: s.tx.eventDelayMs.p95, target: o.eventDelayP95, sense: 'max', unit: 'ms', rag: ceiling(s.tx.eventDelayMs.p95, o.eventDelayP95) });
	if (o.deadLettersPerHour !== undefined) {
		const perHour = s.deadLetters / Math.max(s.hours, 1 / 60);
		out.push({ objective: 'deadLettersPerHour', label: 'Dead letters / hour', actual: perHour, target: o.deadLettersPerHour, sense: 'max', unit: 'perHour', rag: ceiling(perHour, o.deadLettersPerHour) });
	}
	if (o.duplicateRate !== undefined) {
		const r = none ? null : s.tx.duplicates / s.tx.total;
		out.push({ objective: 'duplicateRate', label: 'Duplicate rate', actual: r, target: o.duplicateRate, sense: 'max', unit: 'ratio', rag: ceiling(r, o.duplicateRate) });
	}
	for (const m of o.milestones) {
		const f = s.milestones?.[m.name];
		if (!f) continue;
		let rag = ceiling(f.p95, m.target);
		if (f.pending > 0 && rag !== 'red') rag = 'amber';
		if (f.p95 === null && f.pending === 0) rag = 'none';
		out.push({ objective: `milestone:${m.name}`, label: `${m.name} p95`, actual: f.p95, target: m.target, sense: 'max', unit: 'ms', rag });
	}
	return out;
}

/**
 * The objectives behind a flow's status: the breached ones when it is red, the ones near their
 * limit when amber, none otherwise. A tile that says "Breached" names what is breached, so
 * "100 % success, 0 failed" beside "Breached" reads as "dead letters 6/h above 5/h", not as a
 * contradiction.
 */
export function drivers(all: Check[], rag: Rag): Check[] {
	return rag === 'red' || rag === 'amber' ? all.filter((c) => c.rag === rag) : [];
}

export function flowRag(flow: Flow, s: StatusInput): Rag {
	if (s.tx.total === 0 && s.deadLetters === 0) return 'none';
	return worst(checks(flow, s).map((c) => c.rag));
}
