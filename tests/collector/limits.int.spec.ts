/**
 * Ingest that holds under hostile input (issue 14, findings 7, 8, 9, 15, 16): a span with an unset,
 * too old or far-future time is rejected on its own (OTLP partial success) and the good spans of its
 * request are stored; no engine error text reaches a client; oversized attribute values and log
 * bodies are cut and marked with the original's size and SHA-256; the collector port's /metrics
 * needs the metrics token; a revoked ingest token stops working at the next request.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/lib/server/db';
import { addToken, revokeSource } from '../../src/lib/server/ingest-tokens';
import { isTruncated } from '../../collector/signals/limits';
import { encodeLogs, encodeTraces, sampleTraces, tracesJson, type TResourceSpans } from '../helpers/otlp-encode';
import { post, startHarness, type Harness } from './helpers';

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };
const METRICS_TOKEN = 'metrics-token-0123456789';
const NS_PER_DAY = 86_400_000_000_000n;

let h: Harness;
beforeAll(async () => {
	h = await startHarness({ ingestAuth: true, metricsToken: METRICS_TOKEN, maxAttributeBytes: 1024, maxLogBodyBytes: 4096 });
});
afterAll(async () => h?.stop());

/** Six spans of one request: three good, one unset start, one in 2200, one older than the retention. */
function mixed(service: string): TResourceSpans[] {
	const req = sampleTraces(6, service);
	const s = req[0].scopes[0].spans;
	s[3].start = 0n;
	s[4].start = BigInt(Date.UTC(2200, 0, 1)) * 1_000_000n;
	s[4].end = s[4].start + 1000n;
	s[5].start = BigInt(Date.now()) * 1_000_000n - 40n * NS_PER_DAY;
	s[5].end = s[5].start + 1000n;
	return req;
}

async function storedCount(service: string): Promise<number> {
	const [r] = await h.t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = ${{ String: service }}`);
	return Number(r.n);
}

describe('per-span time checks (partial success, never a whole-request 400)', () => {
	let token: string;
	beforeAll(async () => {
		token = await addToken(h.t.db, 'limits');
	});

	it('protobuf: the three bad spans are rejected with reasons, the three good ones stored', async () => {
		const res = await post(h.base, '/v1/traces', encodeTraces(mixed('times-proto')), { ...PROTO, authorization: `Bearer ${token}` });
		expect(res.status).toBe(200);
		expect(res.body.indexOf(Buffer.from([0x08, 3]))).toBe(2);
		expect(res.body.toString('latin1')).toMatch(/3 items rejected; first: span [0-9a-f]+: start_time_unix_nano is not set \(0\)/);
		expect(await storedCount('times-proto')).toBe(3);
	});

	it('OTLP/JSON: the same, with the reasons for a future and an old span', async () => {
		const req = mixed('times-json');
		req[0].scopes[0].spans.splice(3, 1);
		const res = await post(h.base, '/v1/traces', JSON.stringify(tracesJson(req)), { ...JSON_CT, authorization: `Bearer ${token}` });
		expect(res.status).toBe(200);
		const body = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
		expect(body.partialSuccess.rejectedSpans).toBe('2');
		expect(body.partialSuccess.errorMessage).toMatch(/end time 2200-01-01T00:00:00\.000Z is more than 60 minutes in the future/);
		expect(await storedCount('times-json')).toBe(3);
	});

	it('a log record dated in the far future is rejected on its own', async () => {
		const now = BigInt(Date.now()) * 1_000_000n;
		const body = encodeLogs([
			{
				resource: [{ key: 'service.name', value: { s: 'times-logs' } }],
				scopes: [{ logs: [{ time: now, body: { s: 'fine' } }, { time: now + 365n * NS_PER_DAY, body: { s: 'from the future' } }] }]
			}
		]);
		const res = await post(h.base, '/v1/logs', body, { ...PROTO, authorization: `Bearer ${token}` });
		expect(res.status).toBe(200);
		expect(res.body.toString('latin1')).toMatch(/log record: time .* is more than 60 minutes in the future/);
		const [r] = await h.t.db.query<{ n: number }>(sql`SELECT count() AS n FROM otel_logs WHERE ServiceName = 'times-logs'`);
		expect(Number(r.n)).toBe(1);
	});
});

describe('size limits', () => {
	it('cuts an oversized attribute value and log body, keeping the original size and SHA-256 in the marker', async () => {
		const token = await addToken(h.t.db, 'sizes');
		const big = 'x'.repeat(50_000) + 'é'.repeat(1000);
		const sha = createHash('sha256').update(big).digest('hex');
		const req = sampleTraces(1, 'sizes');
		req[0].scopes[0].spans[0].attributes!.push({ key: 'payload.preview', value: { s: big } });
		expect((await post(h.base, '/v1/traces', encodeTraces(req), { ...PROTO, authorization: `Bearer ${token}` })).status).toBe(200);
		const [span] = await h.t.db.query<{ v: string }>(sql`SELECT SpanAttributes['payload.preview'] AS v FROM otel_traces WHERE ServiceName = 'sizes'`);
		expect(Buffer.byteLength(span.v)).toBeLessThan(1024 + 200);
		expect(span.v).toContain(`[truncated by Syncscope: ${Buffer.byteLength(big)} bytes, sha256 ${sha}]`);
		expect(isTruncated(span.v)).toBe(true);

		const payload = JSON.stringify({ order: 'SO-1', lines: Array.from({ length: 2000 }, (_, i) => ({ sku: `A-${i}`, qty: i })) });
		const logs = encodeLogs([
			{
				resource: [{ key: 'service.name', value: { s: 'sizes' } }],
				scopes: [{ logs: [{ time: BigInt(Date.now()) * 1_000_000n, body: { s: payload }, eventName: 'integration.dead_letter' }] }]
			}
		]);
		expect((await post(h.base, '/v1/logs', logs, { ...PROTO, authorization: `Bearer ${token}` })).status).toBe(200);
		const [log] = await h.t.db.query<{ b: string }>(sql`SELECT Body AS b FROM otel_logs WHERE ServiceName = 'sizes'`);
		expect(Buffer.byteLength(log.b)).toBeLessThan(4096 + 200);
		expect(log.b).toContain(`sha256 ${createHash('sha256').update(payload).digest('hex')}]`);
	});
});

describe('the collector port', () => {
	it('serves /metrics only with the metrics token', async () => {
		expect((await fetch(`${h.base}/metrics`)).status).toBe(401);
		expect((await fetch(`${h.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
		const ok = await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
		expect(ok.status).toBe(200);
		expect(await ok.text()).toContain('syncscope_collector');
	});

	it('refuses a revoked ingest token at the next request', async () => {
		const token = await addToken(h.t.db, 'revoked-at-once');
		const body = encodeTraces(sampleTraces(1, 'revocation'));
		const auth = { ...PROTO, authorization: `Bearer ${token}` };
		expect((await post(h.base, '/v1/traces', body, auth)).status).toBe(200);
		await revokeSource(h.t.db, 'revoked-at-once');
		expect((await post(h.base, '/v1/traces', body, auth)).status).toBe(401);
	});
});
