/** Builders for the telemetry a middleware emits (rows as the collector writes them). */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/lib/server/db';

export const hex = (n: number) => randomBytes(n).toString('hex');

/** Nanosecond timestamp string `offsetMs` from now (recent: older data falls under the TTL). */
export function ns(offsetMs = 0): string {
	return `${BigInt(Date.now() + offsetMs) * 1_000_000n}`;
}

export interface Msg {
	flow: string;
	step: string;
	messageId: string;
	correlationId?: string;
	idempotencyKey?: string;
	amount?: number;
	currency?: string;
	partner?: string;
	target?: string;
	errorClass?: string;
	errorCode?: string;
}

export function attrs(m: Msg, extra: Record<string, string> = {}): Record<string, string> {
	const a: Record<string, string> = {
		'integration.flow': m.flow,
		'integration.step': m.step,
		'integration.message_id': m.messageId,
		'integration.correlation_id': m.correlationId ?? `SO-${m.messageId}`,
		'integration.entity.type': 'sales_order',
		'integration.entity.id': m.correlationId ?? `SO-${m.messageId}`,
		'integration.source': 'crm',
		'integration.target': m.target ?? 'erp'
	};
	if (m.idempotencyKey) a['integration.idempotency_key'] = m.idempotencyKey;
	if (m.amount !== undefined) a['integration.amount'] = String(m.amount);
	if (m.currency) a['integration.currency'] = m.currency;
	if (m.partner) a['integration.partner'] = m.partner;
	if (m.errorClass) a['integration.error.class'] = m.errorClass;
	if (m.errorCode) a['integration.error.code'] = m.errorCode;
	return { ...a, ...extra };
}

export interface SpanRow {
	Timestamp: string;
	TraceId: string;
	SpanId: string;
	SpanName: string;
	ServiceName: string;
	StatusCode: string;
	StatusMessage?: string;
	SpanAttributes: Record<string, string>;
}

export function span(m: Msg, o: { outcome?: string; status?: string; at?: number; traceId?: string; spanId?: string; step?: string; message?: string } = {}): SpanRow {
	const failed = o.outcome === 'failed' || o.outcome === 'rejected';
	return {
		Timestamp: ns(o.at ?? 0),
		TraceId: o.traceId ?? hex(16),
		SpanId: o.spanId ?? hex(8),
		SpanName: o.step ?? m.step,
		ServiceName: 'mule-o2c',
		StatusCode: o.status ?? (failed ? 'Error' : 'Ok'),
		StatusMessage: o.message ?? (failed ? 'ERP rejected the order' : ''),
		SpanAttributes: attrs({ ...m, step: o.step ?? m.step }, o.outcome ? { 'integration.outcome': o.outcome } : {})
	};
}

export function deadLetter(m: Msg, payload: string, o: { at?: number; traceId?: string } = {}) {
	return {
		Timestamp: ns(o.at ?? 0),
		TraceId: o.traceId ?? hex(16),
		SpanId: hex(8),
		ServiceName: 'mule-o2c',
		SeverityText: 'ERROR',
		SeverityNumber: 17,
		EventName: 'integration.dead_letter',
		Body: payload,
		LogAttributes: attrs(m, { 'event.name': 'integration.dead_letter' })
	};
}

export async function insertSpans(db: Db, rows: SpanRow[]): Promise<void> {
	await db.insertRaw('otel_traces', Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'), { format: 'JSONEachRow' });
}

export async function insertLogs(db: Db, rows: ReturnType<typeof deadLetter>[]): Promise<void> {
	await db.insertRaw('otel_logs', Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'), { format: 'JSONEachRow' });
}

/** A failed message: a failed span and its dead letter; returns the exception id. */
export async function failMessage(db: Db, m: Msg, payload = JSON.stringify({ order: m.messageId, lines: [{ sku: 'A-1', qty: 2 }] })): Promise<void> {
	const traceId = hex(16);
	await insertSpans(db, [span(m, { outcome: 'failed', at: -60_000, traceId })]);
	await insertLogs(db, [deadLetter(m, payload, { at: -59_000, traceId })]);
}
