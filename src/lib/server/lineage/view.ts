/**
 * What the lineage page shows, derived from spans and logs (pure functions, no SQL): the system
 * hops, the expected path of each flow against the catalogue, and links between traces.
 */
import type { Flow } from '../flows/schema';
import type { ExpectedPath, ExpectedStep, Hop, Lineage, LineageView, TraceLink } from './schema';

const FAILED = new Set(['failed', 'rejected']);

/** source → target hops in order of first use, coloured by what their latest attempt did. */
export function hopsOf(l: Lineage): Hop[] {
	const hops = new Map<string, Hop & { lastAt: number }>();
	for (const s of l.spans) {
		if (!s.source || !s.target || s.source === s.target) continue;
		const at = Date.parse(s.start);
		const k = `${s.source}\u0000${s.target}`;
		const failed = FAILED.has(s.outcome);
		const h = hops.get(k) ?? { source: s.source, target: s.target, attempts: 0, failures: 0, health: 'ok', lastOutcome: s.outcome, latencyMs: s.durationMs, firstAt: s.start, lastAt: -Infinity };
		h.attempts++;
		if (failed) h.failures++;
		if (at >= h.lastAt) {
			h.lastAt = at;
			h.lastOutcome = s.outcome;
			h.latencyMs = s.durationMs;
		}
		hops.set(k, h);
	}
	return [...hops.values()]
		.map(({ lastAt: _l, ...h }) => ({ ...h, health: FAILED.has(h.lastOutcome) ? 'fail' : h.failures > 0 ? 'warn' : 'ok' }) as Hop)
		.sort((a, b) => Date.parse(a.firstAt) - Date.parse(b.firstAt));
}

/** Systems in the order the order travelled through them. */
export function systemsOf(hops: Hop[]): string[] {
	const seen: string[] = [];
	for (const h of hops) for (const s of [h.source, h.target]) if (!seen.includes(s)) seen.push(s);
	return seen;
}

/** Each catalogued flow's expected steps: done, failed, missing (overdue or not yet due), skipped. */
export function expectedPaths(l: Lineage, findFlow: (id: string) => Flow | undefined, now: number): ExpectedPath[] {
	const flows = [...new Set([...l.spans.map((s) => s.flow), ...l.logs.map((g) => g.flow)].filter(Boolean))];
	const out: ExpectedPath[] = [];
	for (const id of flows) {
		const flow = findFlow(id);
		if (!flow) continue;
		const spans = l.spans.filter((s) => s.flow === id);
		const logs = l.logs.filter((g) => g.flow === id);
		const times = [...spans.map((s) => Date.parse(s.start)), ...logs.map((g) => Date.parse(g.time))];
		if (!times.length) continue;
		const t0 = Math.min(...times);
		const steps = flow.steps.map((step): ExpectedStep => {
			const attempts = spans.filter((s) => s.step === step.id).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
			const deadLetters = logs.filter((g) => g.step === step.id && g.eventName === 'integration.dead_letter');
			const succeeded = attempts.filter((s) => !FAILED.has(s.outcome));
			const failed = attempts.length > 0 && succeeded.length === 0 ? true : deadLetters.length > 0 && succeeded.length === 0;
			const dueAt = step.within !== undefined ? t0 + step.within : null;
			const seenAt = attempts[0] ? Date.parse(attempts[0].start) : deadLetters[0] ? Date.parse(deadLetters[0].time) : null;
			const doneAt = succeeded[0] ? Date.parse(succeeded[0].start) : null;
			let state: ExpectedStep['state'];
			if (doneAt !== null) state = 'done';
			else if (failed) state = 'failed';
			else if (step.optional) state = 'skipped';
			else if (dueAt !== null && now < dueAt) state = 'pending';
			else state = 'missing';
			const overdue = dueAt !== null && state !== 'skipped' && (doneAt === null ? now > dueAt : doneAt > dueAt);
			return {
				id: step.id,
				name: step.name,
				system: step.system,
				optional: step.optional,
				withinMs: step.within ?? null,
				state,
				overdue,
				attempts: attempts.length,
				at: seenAt === null ? null : new Date(seenAt).toISOString(),
				dueAt: dueAt === null ? null : new Date(dueAt).toISOString()
			};
		});
		out.push({ flow: id, flowName: flow.name, startedAt: new Date(t0).toISOString(), steps });
	}
	return out;
}

/** Span links that cross traces (e.g. a supplier acknowledgement pointing back at the PO it answers). */
export function traceLinks(l: Lineage): TraceLink[] {
	const out: TraceLink[] = [];
	for (const s of l.spans) {
		for (const k of s.links) {
			if (k.traceId && k.traceId !== s.traceId) out.push({ fromTrace: s.traceId, fromSpan: s.spanId, toTrace: k.traceId, toSpan: k.spanId });
		}
	}
	return out;
}

export function lineageView(l: Lineage, findFlow: (id: string) => Flow | undefined, now = Date.now()): LineageView {
	const hops = hopsOf(l);
	return { ...l, hops, systems: systemsOf(hops), paths: expectedPaths(l, findFlow, now), links: traceLinks(l) };
}
