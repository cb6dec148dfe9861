/** Span and log rows in the exporter's schema, for inserting straight into chDB in tests. */
import { randomBytes } from 'node:crypto';

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const ns = (ms: number) => `${Math.round(ms)}000000`;

export interface SpanInput {
	traceId: string;
	spanId?: string;
	parentSpanId?: string;
	service: string;
	name: string;
	start: number;
	ms: number;
	attrs: Record<string, string>;
	error?: string;
	links?: { traceId: string; spanId: string }[];
}

export function spanRow(s: SpanInput): Record<string, unknown> {
	return {
		Timestamp: ns(s.start),
		TraceId: s.traceId,
		SpanId: s.spanId ?? hex(8),
		ParentSpanId: s.parentSpanId ?? '',
		SpanName: s.name,
		SpanKind: 'Internal',
		ServiceName: s.service,
		ResourceAttributes: { 'service.name': s.service },
		SpanAttributes: s.attrs,
		Duration: Math.round(s.ms * 1e6),
		StatusCode: s.error ? 'Error' : 'Ok',
		StatusMessage: s.error ?? '',
		'Events.Timestamp': s.error ? [ns(s.start + s.ms)] : [],
		'Events.Name': s.error ? ['exception'] : [],
		'Events.Attributes': s.error ? [{ 'exception.type': 'Error', 'exception.message': s.error }] : [],
		'Links.TraceId': (s.links ?? []).map((l) => l.traceId),
		'Links.SpanId': (s.links ?? []).map((l) => l.spanId),
		'Links.TraceState': (s.links ?? []).map(() => ''),
		'Links.Attributes': (s.links ?? []).map(() => ({}))
	};
}

export function logRow(g: { time: number; traceId?: string; spanId?: string; service: string; eventName: string; body: string; attrs: Record<string, string> }) {
	return {
		Timestamp: ns(g.time),
		TraceId: g.traceId ?? '',
		SpanId: g.spanId ?? '',
		SeverityText: 'INFO',
		SeverityNumber: 9,
		ServiceName: g.service,
		Body: g.body,
		ResourceAttributes: { 'service.name': g.service },
		LogAttributes: { 'event.name': g.eventName, ...g.attrs },
		EventName: g.eventName
	};
}

/** integration.* attributes of one order-to-cash step */
export function step(orderId: string, stepId: string, source: string, target: string, extra: Record<string, string> = {}) {
	return {
		'integration.flow': 'order-to-cash',
		'integration.step': stepId,
		'integration.correlation_id': orderId,
		'integration.entity.type': 'sales_order',
		'integration.entity.id': orderId,
		'integration.source': source,
		'integration.target': target,
		'integration.outcome': 'success',
		'integration.message_id': `msg-${orderId}-${stepId}`,
		...extra
	};
}
