/** Minimal OTLP/HTTP JSON senders for e2e specs: one span or one log record per call. */
import { randomBytes } from 'node:crypto';

export const hexId = (bytes: number) => randomBytes(bytes).toString('hex');
const kv = (attrs: Record<string, string>) => Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

async function post(url: string, body: unknown): Promise<void> {
	const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	if (!r.ok) throw new Error(`OTLP ${url}: ${r.status} ${await r.text()}`);
}

export async function sendSpan(otlp: string, service: string, o: { name: string; attrs: Record<string, string>; error?: string; at?: number; traceId?: string }): Promise<string> {
	const traceId = o.traceId ?? hexId(16);
	const start = o.at ?? Date.now();
	await post(`${otlp}/v1/traces`, {
		resourceSpans: [
			{
				resource: { attributes: kv({ 'service.name': service }) },
				scopeSpans: [
					{
						scope: { name: 'syncscope-e2e' },
						spans: [
							{
								traceId,
								spanId: hexId(8),
								name: o.name,
								kind: 1,
								startTimeUnixNano: nanos(start),
								endTimeUnixNano: nanos(start + 120),
								attributes: kv(o.attrs),
								status: o.error ? { code: 2, message: o.error } : { code: 1 }
							}
						]
					}
				]
			}
		]
	});
	return traceId;
}

export async function sendLog(otlp: string, service: string, o: { eventName: string; body: string; attrs: Record<string, string>; traceId?: string; at?: number }): Promise<void> {
	await post(`${otlp}/v1/logs`, {
		resourceLogs: [
			{
				resource: { attributes: kv({ 'service.name': service }) },
				scopeLogs: [
					{
						scope: { name: 'syncscope-e2e' },
						logRecords: [
							{
								timeUnixNano: nanos(o.at ?? Date.now()),
								severityNumber: 17,
								severityText: 'ERROR',
								eventName: o.eventName,
								body: { stringValue: o.body },
								attributes: kv({ ...o.attrs, 'event.name': o.eventName }),
								traceId: o.traceId ?? hexId(16),
								spanId: hexId(8)
							}
						]
					}
				]
			}
		]
	});
}
