/** The business-key index fed by the collector (contract keys and configured aliases), and ingest tokens. */
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sql } from '../../src/lib/server/db';
import { addToken, revokeSource } from '../../src/lib/server/ingest-tokens';
import { encodeTraces, sampleTraces, type TResourceSpans } from '../helpers/otlp-encode';
import { post, startHarness, type Harness } from './helpers';

const PROTO = { 'content-type': 'application/x-protobuf' };
let h: Harness | undefined;
afterEach(async () => {
	await h?.stop();
	h = undefined;
});

describe('business-key index', () => {
	it('finds a span by integration.correlation_id and by an aliased attribute', async () => {
		h = await startHarness({ keyAliases: { sales_order: ['order.id'] } });
		const req: TResourceSpans[] = sampleTraces(2, 'keys');
		const [a, b] = req[0].scopes[0].spans;
		a.attributes = [
			{ key: 'integration.correlation_id', value: { s: 'SO-1001' } },
			{ key: 'integration.flow', value: { s: 'order-to-cash' } }
		];
		b.attributes = [{ key: 'order.id', value: { s: '4500012' } }];
		expect((await post(h.base, '/v1/traces', encodeTraces(req), PROTO)).status).toBe(200);

		const byKey = (value: string) =>
			h!.t.db.query<{ KeyName: string; TraceId: string; SpanId: string; ServiceName: string; Signal: string; Flow: string }>(
				sql`SELECT KeyName, TraceId, SpanId, ServiceName, Signal, Flow FROM business_key_index WHERE KeyValue = ${{ String: value }}`
			);
		expect(await byKey('SO-1001')).toEqual([
			{ KeyName: 'correlation_id', TraceId: a.traceId.toString('hex'), SpanId: a.spanId.toString('hex'), ServiceName: 'keys', Signal: 'span', Flow: 'order-to-cash' }
		]);
		expect(await byKey('4500012')).toEqual([
			{ KeyName: 'sales_order', TraceId: b.traceId.toString('hex'), SpanId: b.spanId.toString('hex'), ServiceName: 'keys', Signal: 'span', Flow: '' }
		]);
	});
});

describe('ingest auth', () => {
	it('401 without or with a wrong token, 200 with a valid one, 401 after revocation', async () => {
		h = await startHarness({ ingestAuth: true });
		const token = await addToken(h.t.db, 'mulesoft');
		const body = encodeTraces(sampleTraces(1, 'authed'));
		expect((await post(h.base, '/v1/traces', body, PROTO)).status).toBe(401);
		expect((await post(h.base, '/v1/traces', body, { ...PROTO, authorization: 'Bearer sst_wrong' })).status).toBe(401);
		expect((await post(h.base, '/v1/traces', body, { ...PROTO, authorization: `Bearer ${token}` })).status).toBe(200);

		const stored = await h.t.db.query<{ TokenHash: string }>(sql`SELECT TokenHash FROM ingest_tokens`);
		expect(stored[0].TokenHash).toMatch(/^[0-9a-f]{64}$/);
		expect(stored[0].TokenHash).not.toContain(token);

		const client = new grpc.Client(`127.0.0.1:${h.collector.grpcPort}`, grpc.credentials.createInsecure());
		const grpcCall = (md: grpc.Metadata) =>
			new Promise<grpc.ServiceError | null>((resolve) =>
				client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, md, (err) => resolve(err))
			);
		expect((await grpcCall(new grpc.Metadata()))?.code).toBe(grpc.status.UNAUTHENTICATED);
		const md = new grpc.Metadata();
		md.set('authorization', `Bearer ${token}`);
		expect(await grpcCall(md)).toBeNull();
		client.close();

		expect(await revokeSource(h.t.db, 'mulesoft')).toBe(1);
		// the cache refreshes on its own schedule; a fresh collector sees the revocation at once
		await h.collector.shutdown();
		const { startCollector } = await import('../../collector/index');
		const again = await startCollector({ config: h.t.config, db: h.t.db, log: () => {} });
		const res = await post(`http://127.0.0.1:${again.httpPort}`, '/v1/traces', body, { ...PROTO, authorization: `Bearer ${token}` });
		expect(res.status).toBe(401);
		await again.shutdown();
	});
});
