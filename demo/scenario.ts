/**
 * What every scenario shares: the seeded randomness, the telemetry, business-number counters,
 * `later()` for messages that arrive in their own trace hours or days afterwards, and `deliver()`,
 * which emits a step with its failed attempts, retries and, when they run out, a dead letter.
 */
import type { Rng } from './random';
import type { StepError, StepResult, StepSpec, Telemetry } from './telemetry';

/** Business-number counters, e.g. SO-100123, PO-4500012. */
export class BusinessIds {
	private readonly next: Record<string, number>;

	/** `offset` moves every counter (the live trickle starts where no earlier run can have been). */
	constructor(offset = 0) {
		this.next = { SO: 100000 + offset, PO: 4500000 + offset, ASN: 880000 + offset, INV: 7700000 + offset, ADJ: 300000 + offset, CHG: 50000 + offset };
	}

	take(kind: 'SO' | 'PO' | 'ASN' | 'INV' | 'ADJ' | 'CHG'): string {
		return `${kind}-${this.next[kind]++}`;
	}
}

export interface Incident {
	/** which step the outage hits, e.g. every ERP call */
	target: 'erp' | 'ecommerce';
	from: number;
	to: number;
}

export interface ScenarioContext {
	rng: Rng;
	tel: Telemetry;
	ids: BusinessIds;
	/** ERP or web-shop outages during which every attempt fails */
	incidents: Incident[];
	/** run `fn` at `at` (now, if `at` has passed; otherwise when the live trickle reaches it) */
	later(at: number, fn: (at: number) => void): void;
	/** last attempt number of each dead-lettered message, so a replay counts on from it */
	attempts: Map<string, number>;
}

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Options a replay passes: the original message identity and the next attempt number. */
export interface Redelivery {
	key?: { messageId: string; idempotencyKey: string };
	attempt?: number;
	/** the operator fixed what failed (reference data, a partner's endpoint) before replaying */
	fixed?: boolean;
}

/** The step's identity and tags; deliver() adds timing, attempt and outcome. */
export type StepBase = Omit<StepSpec, 'start' | 'durationMs' | 'attempt' | 'outcome' | 'error'>;

export interface DeliverOptions {
	start: number;
	/** typical duration of one attempt, ms (log-normal around it) */
	medianMs: number;
	/** the errors of the first attempts, in order; an empty list means the first attempt succeeds */
	failures?: StepError[];
	maxAttempts?: number;
	/** the first attempt's number (a replay continues the count) */
	firstAttempt?: number;
	/** what a replay would re-send; dead-lettered when the attempts run out */
	payload?: unknown;
	/** outcome of a final failure: `rejected` when a partner refused the message */
	finalOutcome?: 'failed' | 'rejected';
}

/** Emit a step with its attempts: transient failures, back-off, then success or a dead letter. */
export function deliver(ctx: ScenarioContext, base: StepBase, o: DeliverOptions): StepResult {
	const failures = o.failures ?? [];
	const max = o.maxAttempts ?? 3;
	const first = o.firstAttempt ?? 1;
	let t = o.start;
	for (let i = 0; ; i++) {
		const attempt = first + i;
		const error = failures[i];
		const last = i === max - 1;
		const durationMs = Math.max(5, ctx.rng.logNormal(error?.class === 'transport' ? o.medianMs * 8 : o.medianMs, 0.5));
		if (!error) return ctx.tel.step({ ...base, start: t, durationMs, attempt, outcome: 'success' });
		const outcome = last && o.finalOutcome ? o.finalOutcome : 'failed';
		const r = ctx.tel.step({ ...base, start: t, durationMs, attempt, outcome, error });
		// Validation and business errors are not retried: the same message would fail the same way.
		if (last || error.class !== 'transport') {
			if (o.payload !== undefined) ctx.tel.deadLetter(r, o.payload);
			ctx.attempts.set(base.messageId, attempt);
			return r;
		}
		t = r.end + backoff(ctx, i);
	}
}

/** Exponential back-off with jitter, as the middleware's retry policy does: ~2 s, ~8 s, ~32 s. */
function backoff(ctx: ScenarioContext, i: number): number {
	return 2_000 * 4 ** i * ctx.rng.between(0.8, 1.2);
}

/** True while an incident takes `target` down. */
export function down(ctx: ScenarioContext, target: Incident['target'], t: number): boolean {
	return ctx.incidents.some((i) => i.target === target && t >= i.from && t <= i.to);
}

/** The errors of a step's attempts: an outage fails them all, otherwise a chance of transient ones. */
export function transient(ctx: ScenarioContext, opts: { p: number; error: StepError; outage?: boolean; maxAttempts?: number }): StepError[] {
	const max = opts.maxAttempts ?? 3;
	if (opts.outage) return Array.from({ length: max }, () => opts.error);
	const out: StepError[] = [];
	// each further attempt fails less often: most transient faults clear on the first retry
	for (let p = opts.p; out.length < max && ctx.rng.chance(p); p *= 0.25) out.push(opts.error);
	return out;
}

/** A new message identity for a step of one business object. */
export function message(ctx: ScenarioContext, key: string): { messageId: string; idempotencyKey: string } {
	return { messageId: ctx.rng.uuid(), idempotencyKey: key };
}
