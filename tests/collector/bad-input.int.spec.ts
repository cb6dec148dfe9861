/**
 * Bad input over OTLP/HTTP and gRPC: each gets the right status and a reason, and the collector
 * keeps serving afterwards. Per-item problems are partial successes, not failures.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sql } from '../../src/lib/server/db';
import { encodeTraces, pbLen, pbStr, pbVarint, sampleTraces, tracesJson } from '../helpers/otlp-encode';
import { gzip, post, startHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
	h = await startHarness({ maxBodyBytes: 1024 * 1024 });
});
afterAll(async () => h?.stop());

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };

/** After every bad request the collector still accepts a good one. */
async function stillServes(): Promise<void> {
	const ok = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(2, 'still-serving')), PROTO);
	expect(ok.status).toBe(200);
}

function statusJson(body: Buffer): { code: number; message: string } {
	return JSON.parse(body.toString());
}

describe('malformed protobuf is a 400 with a google.rpc.Status reason', () => {
	const good = encodeTraces(sampleTraces(3, 'bad-input'));
	it.each([
		['truncated', good.subarray(0, good.length - 7)],
		['random bytes', Buffer.from('ffffffffffffffffffffff', 'hex')],
		['wrong wire type for resource_spans', pbVarint(1, 5)],
		['span_id as a varint', pbLen(1, pbLen(2, pbLen(2, Buffer.concat([pbVarint(2, 7)]))))],
		['length overrunning the message', Buffer.from([0x0a, 0x7f, 0x01])]
	])('%s', async (_name, body) => {
		const res = await post(h.base, '/v1/traces', body, PROTO);
		expect(res.status).toBe(400);
		expect(res.headers.get('content-type')).toBe('application/x-protobuf');
		// google.rpc.Status: field 1 code = 3 (INVALID_ARGUMENT), field 2 message
		expect(res.body[0]).toBe(0x08);
		expect(res.body[1]).toBe(3);
		expect(res.body.subarray(4).toString()).toMatch(/truncated|wire type|overrun|invalid|varint/);
		await stillServes();
	});
});

describe('OTLP/JSON', () => {
	it('invalid JSON is a 400 with a JSON Status', async () => {
		const res = await post(h.base, '/v1/logs', '{"resourceLogs": [', JSON_CT);
		expect(res.status).toBe(400);
		expect(statusJson(res.body)).toMatchObject({ code: 3, message: expect.stringContaining('invalid JSON') });
		await stillServes();
	});

	it('a wrong shape is a 400', async () => {
		const res = await post(h.base, '/v1/traces', '{"resourceSpans": 5}', JSON_CT);
		expect(res.status).toBe(400);
		expect(statusJson(res.body).message).toMatch(/resourceSpans must be an array/);
	});

	it('unknown fields are ignored', async () => {
		const body = tracesJson(sampleTraces(2, 'json-unknown')) as { resourceSpans: Record<string, unknown>[] };
		body.resourceSpans[0].somethingNew = { nested: [1, 2] };
		(body as Record<string, unknown>).extra = true;
		const res = await post(h.base, '/v1/traces', JSON.stringify(body), JSON_CT);
		expect(res.status).toBe(200);
		expect(JSON.parse(res.body.toString())).toEqual({});
		const n = await h.t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'json-unknown'`);
		expect(n[0].n).toBe(2);
	});

	it('lone surrogates (valid JSON escapes ClickHouse refuses) are stored as U+FFFD', async () => {
		const body = tracesJson(sampleTraces(1, 'surrogate')) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
		body.resourceSpans[0].scopeSpans[0].spans[0].name = 'half \ud800 pair';
		const res = await post(h.base, '/v1/traces', JSON.stringify(body), JSON_CT);
		expect(res.status).toBe(200);
		const rows = await h.t.db.query<{ SpanName: string }>(sql`SELECT SpanName FROM otel_traces WHERE ServiceName = 'surrogate'`);
		expect(rows).toEqual([{ SpanName: 'half \ufffd pair' }]);
	});

	it('int64 as string or number, enum names, hex ids in any case', async () => {
		const body = {
			resourceSpans: [
				{
					resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-forms' } }] },
					scopeSpans: [
						{
							spans: [
								{
									traceId: '0AF7651916CD43DD8448EB211C80319C',
									spanId: 'B7AD6B7169203331',
									name: 'n',
									kind: 'SPAN_KIND_CONSUMER',
									startTimeUnixNano: Date.now() * 1e6,
									endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n + 1_000_000n),
									attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }],
									status: { code: 2 }
								}
							]
						}
					]
				}
			]
		};
		expect((await post(h.base, '/v1/traces', JSON.stringify(body), JSON_CT)).status).toBe(200);
		const rows = await h.t.db.query<Record<string, unknown>>(
			sql`SELECT TraceId, SpanId, SpanKind, StatusCode, SpanAttributes['big'] AS big FROM otel_traces WHERE ServiceName = 'json-forms'`
		);
		expect(rows).toEqual([{ TraceId: '0af7651916cd43dd8448eb211c80319c', SpanId: 'b7ad6b7169203331', SpanKind: 'Consumer', StatusCode: 'Error', big: '9007199254740993' }]);
	});
});

describe('partial success', () => {
	it('drops spans with bad ids or end before start and counts them (protobuf)', async () => {
		const req = sampleTraces(4, 'partial');
		const spans = req[0].scopes[0].spans;
		spans[0].traceId = spans[0].traceId.subarray(0, 15);
		spans[1].spanId = Buffer.alloc(8);
		spans[2].end = spans[2].start - 1n;
		const res = await post(h.base, '/v1/traces', encodeTraces(req), PROTO);
		expect(res.status).toBe(200);
		// ExportTraceServiceResponse{partial_success{rejected_spans=3, error_message}}
		const msg = res.body.toString('latin1');
		expect(res.body[0]).toBe(0x0a);
		expect(res.body.indexOf(Buffer.from([0x08, 3]))).toBe(2);
		expect(msg).toMatch(/3 items rejected; first: span .*trace_id must be 16 bytes/);
		const n = await h.t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'partial'`);
		expect(n[0].n).toBe(1);
	});

	it('reports rejected log records in JSON', async () => {
		const body = {
			resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abcd', body: { stringValue: 'x' } }, { body: { stringValue: 'fine' }, timeUnixNano: String(BigInt(Date.now()) * 1_000_000n) }] }] }]
		};
		const res = await post(h.base, '/v1/logs', JSON.stringify(body), JSON_CT);
		expect(res.status).toBe(200);
		expect(JSON.parse(res.body.toString())).toEqual({
			partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringContaining('trace_id must be 16 bytes') }
		});
	});

	it('a log record without any time gets the receive time, not 1970', async () => {
		const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'no-time' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] };
		expect((await post(h.base, '/v1/logs', JSON.stringify(body), JSON_CT)).status).toBe(200);
		const rows = await h.t.db.query<{ age: number }>(sql`SELECT dateDiff('second', Timestamp, now64(9)) AS age FROM otel_logs WHERE ServiceName = 'no-time'`);
		expect(rows).toHaveLength(1);
		expect(Math.abs(rows[0].age)).toBeLessThan(600);
	});
});

describe('transport envelope', () => {
	it('415 for an unsupported content type', async () => {
		const res = await post(h.base, '/v1/traces', 'hello', { 'content-type': 'text/plain' });
		expect(res.status).toBe(415);
		await stillServes();
	});

	it('415 for an unsupported content encoding', async () => {
		const res = await post(h.base, '/v1/traces', 'x', { ...PROTO, 'content-encoding': 'br' });
		expect(res.status).toBe(415);
	});

	it('accepts gzip bodies', async () => {
		const res = await post(h.base, '/v1/traces', gzip(encodeTraces(sampleTraces(3, 'gzipped'))), { ...PROTO, 'content-encoding': 'gzip' });
		expect(res.status).toBe(200);
		const n = await h.t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'gzipped'`);
		expect(n[0].n).toBe(3);
	});

	it('400 for a body that is not gzip although it says so', async () => {
		const res = await post(h.base, '/v1/traces', randomBytes(64), { ...PROTO, 'content-encoding': 'gzip' });
		expect(res.status).toBe(400);
	});

	it('413 for a body over the limit on the wire', async () => {
		const res = await post(h.base, '/v1/traces', Buffer.alloc(1024 * 1024 + 1), PROTO);
		expect(res.status).toBe(413);
		await stillServes();
	});

	it('413 for a gzip bomb (small on the wire, over the limit decompressed)', async () => {
		const bomb = gzip(Buffer.alloc(64 * 1024 * 1024));
		expect(bomb.length).toBeLessThan(1024 * 1024);
		const res = await post(h.base, '/v1/traces', bomb, { ...PROTO, 'content-encoding': 'gzip' });
		expect(res.status).toBe(413);
		await stillServes();
	});

	it('404 and 405 outside the OTLP paths', async () => {
		expect((await post(h.base, '/v1/metrics', 'x', PROTO)).status).toBe(404);
		expect((await fetch(h.base + '/v1/traces')).status).toBe(405);
	});
});

describe('gRPC', () => {
	function call(path: string, body: Buffer): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
		const client = new grpc.Client(`127.0.0.1:${h.collector.grpcPort}`, grpc.credentials.createInsecure());
		return new Promise((resolve) => {
			client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, (err, res) => {
				client.close();
				resolve({ err, res });
			});
		});
	}

	it('INVALID_ARGUMENT for a malformed request, then serves again', async () => {
		const bad = await call('/opentelemetry.proto.collector.trace.v1.TraceService/Export', Buffer.from([0x0a, 0x7f]));
		expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
		const good = await call('/opentelemetry.proto.collector.logs.v1.LogsService/Export', pbLen(1, pbLen(2, pbLen(2, pbStr(3, 'INFO')))));
		expect(good.err).toBeNull();
		expect(good.res?.length).toBe(0);
	});
});
