/**
 * OpenTelemetry JS SDK spans → the engine's Item (src/lib/server/interpret/facts.ts), with values as
 * the collector stores them (collector/signals/any-value.ts: pcommon Value.AsString()): strings as is,
 * numbers and booleans as text, arrays as JSON text (`["SO-1"]`, HTML characters escaped as Go's
 * encoding/json does), kinds and status codes by their collector names.
 */
import type { Attributes } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { emptyItem, type Item } from '../../../src/lib/server/interpret/facts';

/** SDK SpanKind (INTERNAL = 0 … CONSUMER = 4) → the collector's SpanKind text. */
const KINDS = ['Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** SDK SpanStatusCode (UNSET = 0, OK = 1, ERROR = 2) → the collector's StatusCode text. */
const STATUS = ['Unset', 'Ok', 'Error'];

const HTML: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/** One attribute value as stored text. */
export function valueText(v: unknown): string {
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	if (Array.isArray(v)) return JSON.stringify(v).replace(/[<>&]/g, (c) => HTML[c]);
	return v === undefined || v === null ? '' : JSON.stringify(v);
}

export function attrsText(a: Attributes | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(a ?? {})) if (v !== undefined) out[k] = valueText(v);
	return out;
}

export interface ToItemsOptions {
	/**
	 * Span events to keep, by name (default: all). The collector's hot path keeps only `exception`
	 * events (collector/signals/traces-proto.ts); pass ['exception'] to see what it sees today.
	 */
	eventNames?: string[];
}

export function toItem(s: ReadableSpan, opts: ToItemsOptions = {}): Item {
	const resource = attrsText(s.resource.attributes);
	const keep = opts.eventNames ? new Set(opts.eventNames) : null;
	return emptyItem({
		signal: 'span',
		traceId: s.spanContext().traceId,
		spanId: s.spanContext().spanId,
		parentSpanId: s.parentSpanContext?.spanId ?? '',
		name: s.name,
		kind: KINDS[s.kind] ?? '',
		status: STATUS[s.status.code] ?? '',
		statusMessage: s.status.message ?? '',
		service: resource['service.name'] ?? '',
		scope: s.instrumentationScope.name,
		attrs: attrsText(s.attributes),
		resource,
		events: s.events.filter((e) => !keep || keep.has(e.name)).map((e) => ({ name: e.name, attrs: attrsText(e.attributes) })),
		links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId }))
	});
}

export function toItems(spans: readonly ReadableSpan[], opts: ToItemsOptions = {}): Item[] {
	return spans.map((s) => toItem(s, opts));
}

/** A tracer provider for one emitting process (its resource), recording into memory. */
export function recordingProvider(resource: Attributes): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
	const exporter = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes(resource),
		spanProcessors: [new SimpleSpanProcessor(exporter)]
	});
	return { provider, exporter };
}

/** Milliseconds since the epoch → an SDK time input, on a fixed clock so shapes are deterministic. */
export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

/**
 * A deterministic mix of planned outcomes, spread over the sequence (not in blocks): `[[201, 14],
 * [422, 3], [503, 3]]` → 20 entries where each kind is placed at evenly spaced positions.
 */
export function spread<T>(mix: readonly (readonly [T, number])[]): T[] {
	const slots: { at: number; v: T }[] = [];
	for (const [v, n] of mix) for (let k = 0; k < n; k++) slots.push({ at: (k + 0.5) / n, v });
	return slots.sort((a, b) => a.at - b.at).map((s) => s.v);
}
