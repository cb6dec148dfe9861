/** Lineage shapes: the search key at the edge, and what the queries return. */
import { z } from 'zod';

/** A correlation ID, business key, message ID or trace ID as typed into the search box. */
export const lineageKey = z.string().trim().min(1, 'enter an order number, correlation ID or trace ID').max(200, 'at most 200 characters');

export const TRACE_ID = /^[0-9a-f]{32}$/i;

export type Outcome = 'success' | 'failed' | 'duplicate' | 'rejected' | string;

export interface LineageSpan {
	traceId: string;
	spanId: string;
	parentSpanId: string;
	service: string;
	name: string;
	kind: string;
	/** ISO 8601, UTC */
	start: string;
	durationMs: number;
	/** OTLP status: Unset, Ok, Error */
	status: string;
	statusMessage: string;
	flow: string;
	step: string;
	source: string;
	target: string;
	outcome: Outcome;
	attributes: Record<string, string>;
	resource: Record<string, string>;
	events: { time: string; name: string; attributes: Record<string, string> }[];
	links: { traceId: string; spanId: string }[];
}

export interface LineageLog {
	time: string;
	traceId: string;
	spanId: string;
	service: string;
	eventName: string;
	severity: string;
	body: string;
	flow: string;
	step: string;
	attributes: Record<string, string>;
}

export type StepState = 'done' | 'failed' | 'missing' | 'pending' | 'skipped';

export interface ExpectedStep {
	id: string;
	name: string;
	system: string;
	optional: boolean;
	withinMs: number | null;
	state: StepState;
	/** absent (or done) after its `within` deadline */
	overdue: boolean;
	attempts: number;
	/** first time the step was seen, ISO */
	at: string | null;
	/** when it was (or is) due, ISO */
	dueAt: string | null;
}

export interface ExpectedPath {
	flow: string;
	flowName: string;
	startedAt: string;
	steps: ExpectedStep[];
}

export interface Hop {
	source: string;
	target: string;
	attempts: number;
	failures: number;
	/** ok: succeeded first time; warn: succeeded after failures; fail: latest attempt failed */
	health: 'ok' | 'warn' | 'fail';
	lastOutcome: Outcome;
	/** duration of the latest attempt */
	latencyMs: number;
	firstAt: string;
}

export interface TraceLink {
	fromTrace: string;
	fromSpan: string;
	toTrace: string;
	toSpan: string;
}

export interface Lineage {
	key: string;
	/** what the key was recognised as */
	matchedAs: string[];
	traces: string[];
	spans: LineageSpan[];
	logs: LineageLog[];
}

export interface LineageView extends Lineage {
	hops: Hop[];
	systems: string[];
	paths: ExpectedPath[];
	links: TraceLink[];
}

/** The public API shape (GET /api/v1/lineage), exactly as documented. */
export function toApi(l: Lineage) {
	return {
		key: l.key,
		traces: l.traces,
		spans: l.spans.map((s) => ({
			traceId: s.traceId,
			spanId: s.spanId,
			parentSpanId: s.parentSpanId,
			service: s.service,
			name: s.name,
			start: s.start,
			durationMs: s.durationMs,
			status: s.status,
			flow: s.flow,
			step: s.step,
			source: s.source,
			target: s.target,
			outcome: s.outcome
		})),
		logs: l.logs.map((g) => ({ time: g.time, service: g.service, eventName: g.eventName, body: g.body, flow: g.flow, step: g.step }))
	};
}
