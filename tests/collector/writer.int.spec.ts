/**
 * The writer against a real chDB: group commit, back-pressure (429), store failures (503 +
 * Retry-After, fail fast, recovery, exactly-once after the client's retry), the dedup token on the
 * collector's own retries, and graceful shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { sql, StoreUnavailableError, type Db } from '../../src/lib/server/db';
import { encodeTraces, sampleTraces } from '../helpers/otlp-encode';
import { post, startHarness, type Harness } from './helpers';

const PROTO = { 'content-type': 'application/x-protobuf' };
let h: Harness | undefined;
afterEach(async () => {
	await h?.stop();
	h = undefined;
});

/** A real Db whose inserts and pings can be made to fail, as a store outage would. */
class FlakyDb implements Db {
	down = false;
	/** hold every insert this long (a slow store) */
	delayMs = 0;
	/** fail this many inserts *after* they were stored (a lost acknowledgement) */
	loseAcks = 0;
	inserts = 0;
	constructor(private readonly inner: Db) {}
	get kind() {
		return this.inner.kind;
	}
	query<T>(q: Parameters<Db['query']>[0]) {
		return this.inner.query<T>(q);
	}
	exec(q: Parameters<Db['exec']>[0]) {
		return this.inner.exec(q);
	}
	async insertRaw(...args: Parameters<Db['insertRaw']>) {
		this.inserts++;
		if (this.down) throw new StoreUnavailableError('store down (test)');
		if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
		await this.inner.insertRaw(...args);
		if (this.loseAcks > 0) {
			this.loseAcks--;
			throw new StoreUnavailableError('connection lost after insert (test)');
		}
	}
	insertRows(...args: Parameters<Db['insertRows']>) {
		return this.inner.insertRows(...args);
	}
	async ping() {
		if (this.down) throw new StoreUnavailableError('store down (test)');
		await this.inner.ping();
	}
	close() {
		return this.inner.close();
	}
}

function metric(name: string): number {
	const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => '\\' + c)} (\\S+)$`, 'm').exec(h!.collector.metrics());
	return m ? Number(m[1]) : NaN;
}

async function count(service: string): Promise<{ n: number; u: number }> {
	const r = await h!.t.db.query<{ n: number; u: number }>(
		sql`SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM otel_traces WHERE ServiceName = ${{ String: service }}`
	);
	return r[0];
}

describe('group commit', () => {
	it('concurrent requests share one insert, and none is answered before it', async () => {
		h = await startHarness({ batchLingerMs: 300 });
		const bodies = Array.from({ length: 6 }, () => encodeTraces(sampleTraces(10, 'grouped')));
		const results = await Promise.all(bodies.map((b) => post(h!.base, '/v1/traces', b, PROTO)));
		expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
		expect(metric('syncscope_collector_batches_total{signal="traces"}')).toBe(1);
		expect(metric('syncscope_collector_accepted_items_total{signal="traces"}')).toBe(60);
		expect(await count('grouped')).toEqual({ n: 60, u: 60 });
		const text = await (await fetch(`${h.base}/metrics`)).text();
		expect(text).toContain('syncscope_collector_batch_rows_bucket{signal="traces",le="100"} 1');
		expect(text).toContain('syncscope_collector_requests_total{transport="http",signal="traces",status="200"} 6');
	});

	it('a batch is flushed early when it reaches batchMaxRows', async () => {
		h = await startHarness({ batchLingerMs: 60_000, batchMaxRows: 20 });
		const results = await Promise.all([0, 1].map(() => post(h!.base, '/v1/traces', encodeTraces(sampleTraces(10, 'by-size')), PROTO)));
		expect(results.map((r) => r.status)).toEqual([200, 200]);
		expect(await count('by-size')).toEqual({ n: 20, u: 20 });
	});
});

describe('back-pressure', () => {
	it('429 with Retry-After when too many bytes wait for insert', async () => {
		h = await startHarness({ batchLingerMs: 500, maxQueuedBytes: 8000, retryAfterSeconds: 2 });
		const first = post(h.base, '/v1/traces', encodeTraces(sampleTraces(8, 'queued')), PROTO);
		await new Promise((r) => setTimeout(r, 100));
		const second = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(8, 'queued')), PROTO);
		expect(second.status).toBe(429);
		expect(second.headers.get('retry-after')).toBe('2');
		expect((await first).status).toBe(200);
		expect(metric('syncscope_collector_refused_items_total{signal="traces"}')).toBe(8);
		expect(await count('queued')).toEqual({ n: 8, u: 8 });
	});
});

describe('store unavailable', () => {
	it('503 + Retry-After, fail fast while down, and the SDK retry lands every span exactly once', async () => {
		let flaky!: FlakyDb;
		h = await startHarness({ insertAttempts: 2, retryAfterSeconds: 1 }, (db) => (flaky = new FlakyDb(db)));
		flaky.down = true;

		const direct = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(3, 'outage-direct')), PROTO);
		expect(direct.status).toBe(503);
		expect(direct.headers.get('retry-after')).toBe('1');
		const attempts = flaky.inserts;
		expect(attempts).toBe(2);
		const fast = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(3, 'outage-direct')), PROTO);
		expect(fast.status).toBe(503);
		expect(flaky.inserts).toBe(attempts); // refused without touching the store

		// gRPC: UNAVAILABLE with google.rpc.RetryInfo in grpc-status-details-bin
		const client = new grpc.Client(`127.0.0.1:${h.collector.grpcPort}`, grpc.credentials.createInsecure());
		const err = await new Promise<grpc.ServiceError | null>((resolve) =>
			client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, encodeTraces(sampleTraces(1, 'outage-grpc')), (e) => resolve(e))
		);
		client.close();
		expect(err?.code).toBe(grpc.status.UNAVAILABLE);
		const details = err?.metadata.get('grpc-status-details-bin')[0] as Buffer;
		expect(details.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');

		const memory = new InMemorySpanExporter();
		const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'outage' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
		const tracer = provider.getTracer('t');
		for (let i = 0; i < 25; i++) tracer.startSpan(`s${i}`).end();
		const exporter = new OTLPTraceExporter({ url: `${h.base}/v1/traces`, timeoutMillis: 20_000 });
		const exported = new Promise<number>((resolve) => exporter.export(memory.getFinishedSpans(), (r) => resolve(r.code)));
		setTimeout(() => (flaky.down = false), 1500);
		expect(await exported).toBe(ExportResultCode.SUCCESS);
		await exporter.shutdown();
		expect(await count('outage')).toEqual({ n: 25, u: 25 });
		expect(metric('syncscope_collector_store_healthy')).toBe(1);
	});

	it("the collector's own retry of an insert whose ack was lost is stored once (dedup token)", async () => {
		let flaky!: FlakyDb;
		h = await startHarness({ insertAttempts: 3 }, (db) => (flaky = new FlakyDb(db)));
		flaky.loseAcks = 1;
		const res = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(7, 'lost-ack')), PROTO);
		expect(res.status).toBe(200);
		expect(flaky.inserts).toBe(2);
		expect(await count('lost-ack')).toEqual({ n: 7, u: 7 });
	});
});

describe('rows the engine refuses', () => {
	it('fail only the request that carried them; the others in the batch are stored and the store stays healthy', async () => {
		h = await startHarness();
		const { Writer } = await import('../../collector/writer');
		const { Metrics } = await import('../../collector/metrics');
		const { RefusedByStoreError } = await import('../../collector/errors');
		const { decodeTracesProto } = await import('../../collector/signals/traces');
		const writer = new Writer(h.t.db, { ...h.t.config, batchLingerMs: 50 }, new Metrics(), () => {});
		const good = decodeTracesProto(encodeTraces(sampleTraces(3, 'poison-neighbour'))).body();
		const bad = Buffer.from(good.toString().split('\n')[0].replace(/^\["\d+"/, '["not a time"') + '\n');
		const results = await Promise.allSettled([writer.write('traces', good, 3), writer.write('traces', bad, 1)]);
		expect(results[0].status).toBe('fulfilled');
		expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(RefusedByStoreError) });
		expect(await count('poison-neighbour')).toEqual({ n: 3, u: 3 });
		const after = decodeTracesProto(encodeTraces(sampleTraces(1, 'after-poison'))).body();
		await expect(writer.write('traces', after, 1)).resolves.toBeUndefined();
		writer.close();
	});
});

describe('shutdown', () => {
	it('answers what it accepted after inserting it, refuses new requests with 503, then closes', async () => {
		let flaky!: FlakyDb;
		h = await startHarness({ batchLingerMs: 60_000 }, (db) => (flaky = new FlakyDb(db)));
		flaky.delayMs = 500;
		const pending = post(h.base, '/v1/traces', encodeTraces(sampleTraces(4, 'draining')), PROTO);
		await new Promise((r) => setTimeout(r, 100));
		const stopped = h.collector.shutdown();
		const refused = await post(h.base, '/v1/traces', encodeTraces(sampleTraces(1, 'refused')), PROTO);
		expect(refused.status).toBe(503);
		expect(refused.headers.get('retry-after')).not.toBeNull();
		expect((await pending).status).toBe(200);
		await stopped;
		await expect(post(h.base, '/v1/traces', encodeTraces(sampleTraces(1, 'late')), PROTO)).rejects.toThrow();
		expect(await count('draining')).toEqual({ n: 4, u: 4 });
	});
});
