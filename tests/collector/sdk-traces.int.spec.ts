/**
 * The official OpenTelemetry JS exporters (protobuf, JSON, gRPC) send spans to a running collector;
 * every column of the exporter schema is read back from ClickHouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { sql } from '../../src/lib/server/db';
import { recentSeconds, startHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(async () => h?.stop());

/** Make one parent/child pair with every field set, named after the transport. */
function makeSpans(tag: string): { spans: ReadableSpan[]; sec: number } {
	const memory = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({ 'service.name': `svc-${tag}`, 'deployment.environment': 'test', 'host.cpus': 2 }),
		spanProcessors: [new SimpleSpanProcessor(memory)]
	});
	const tracer = provider.getTracer('syncscope-test-scope', '1.2.3');
	const sec = recentSeconds();
	const remote = trace.setSpanContext(ROOT_CONTEXT, {
		traceId: '0af7651916cd43dd8448eb211c80319c',
		spanId: 'b7ad6b7169203331',
		traceFlags: 1,
		traceState: new TraceState('vendor=abc,other=1'),
		isRemote: true
	});
	const link: Link = {
		context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: 1, traceState: new TraceState('l=1') },
		attributes: { 'link.kind': 'follows' }
	};
	const span = tracer.startSpan(
		`op-${tag}`,
		{
			kind: SpanKind.SERVER,
			startTime: [sec, 123456789],
			links: [link],
			attributes: {
				'integration.correlation_id': `SO-${tag}`,
				'int.attr': 42,
				'double.attr': 1.5,
				'bool.attr': true,
				'arr.attr': ['a', 'b'],
				'quote.attr': 'say "hi" \\ \n'
			}
		},
		remote
	);
	span.addEvent('exception', { 'exception.type': 'Timeout', 'exception.message': 'ERP timed out' }, [sec, 500000001]);
	span.addEvent('retry', {}, [sec + 1, 7]);
	span.setStatus({ code: SpanStatusCode.ERROR, message: 'ERP rejected the order' });
	const child = tracer.startSpan(`child-${tag}`, { kind: SpanKind.CLIENT, startTime: [sec, 200000000] }, trace.setSpan(context.active(), span));
	child.end([sec, 300000000]);
	span.end([sec + 1, 987654321]);
	return { spans: memory.getFinishedSpans(), sec };
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<number> {
	return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
}

interface Row {
	ts: string;
	TraceId: string;
	SpanId: string;
	ParentSpanId: string;
	TraceState: string;
	SpanName: string;
	SpanKind: string;
	ServiceName: string;
	ResourceAttributes: Record<string, string>;
	ScopeName: string;
	ScopeVersion: string;
	SpanAttributes: Record<string, string>;
	Duration: string;
	StatusCode: string;
	StatusMessage: string;
	evTs: string[];
	evNames: string[];
	evAttrs: Record<string, string>[];
	lnTrace: string[];
	lnSpan: string[];
	lnState: string[];
	lnAttrs: Record<string, string>[];
}

async function rowsFor(tag: string): Promise<Row[]> {
	return h.t.db.query<Row>(sql`
		SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, TraceId, SpanId, ParentSpanId, TraceState, SpanName,
			SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, toString(Duration) AS Duration,
			StatusCode, StatusMessage,
			arrayMap(x -> toString(toUnixTimestamp64Nano(x)), Events.Timestamp) AS evTs, Events.Name AS evNames,
			Events.Attributes AS evAttrs, Links.TraceId AS lnTrace, Links.SpanId AS lnSpan, Links.TraceState AS lnState,
			Links.Attributes AS lnAttrs
		FROM otel_traces WHERE ServiceName = ${{ String: `svc-${tag}` }} ORDER BY Timestamp`);
}

// GZIP of @opentelemetry/otlp-exporter-base (a transitive dependency)
const GZIP = 'gzip' as never;

const ns = (sec: number, nanos: number) => (BigInt(sec) * 1_000_000_000n + BigInt(nanos)).toString();

describe.each([
	['proto', (port: number, grpc: number) => new ProtoExporter({ url: `http://127.0.0.1:${port}/v1/traces` })],
	['json', (port: number) => new JsonExporter({ url: `http://127.0.0.1:${port}/v1/traces` })],
	['grpc', (_port: number, grpc: number) => new GrpcExporter({ url: `http://127.0.0.1:${grpc}` })],
	['proto-gzip', (port: number) => new ProtoExporter({ url: `http://127.0.0.1:${port}/v1/traces`, compression: GZIP })],
	['json-gzip', (port: number) => new JsonExporter({ url: `http://127.0.0.1:${port}/v1/traces`, compression: GZIP })],
	['grpc-gzip', (_port: number, grpc: number) => new GrpcExporter({ url: `http://127.0.0.1:${grpc}`, compression: GZIP })]
] as const)('spans through the %s exporter', (tag, make) => {
	it('are stored with every exporter-schema column', async () => {
		const { spans, sec } = makeSpans(tag);
		const exporter = make(h.collector.httpPort, h.collector.grpcPort);
		expect(await exportWith(exporter, spans)).toBe(ExportResultCode.SUCCESS);
		await exporter.shutdown();

		const rows = await rowsFor(tag);
		expect(rows).toHaveLength(2);
		const [parent, child] = rows;
		expect(parent).toMatchObject({
			ts: ns(sec, 123456789),
			TraceId: '0af7651916cd43dd8448eb211c80319c',
			ParentSpanId: 'b7ad6b7169203331',
			TraceState: 'vendor=abc,other=1',
			SpanName: `op-${tag}`,
			SpanKind: 'Server',
			ServiceName: `svc-${tag}`,
			ScopeName: 'syncscope-test-scope',
			ScopeVersion: '1.2.3',
			Duration: String(1_000_000_000 + 987654321 - 123456789),
			StatusCode: 'Error',
			StatusMessage: 'ERP rejected the order',
			evTs: [ns(sec, 500000001), ns(sec + 1, 7)],
			evNames: ['exception', 'retry'],
			evAttrs: [{ 'exception.type': 'Timeout', 'exception.message': 'ERP timed out' }, {}],
			lnTrace: ['11111111111111111111111111111111'],
			lnSpan: ['2222222222222222'],
			lnState: ['l=1'],
			lnAttrs: [{ 'link.kind': 'follows' }]
		});
		expect(parent.SpanId).toBe(spans.find((s) => s.name === `op-${tag}`)!.spanContext().spanId);
		// what was sent, as sent, plus the facts the interpretation layer derived (and by which rule)
		expect(parent.SpanAttributes).toEqual({
			'integration.correlation_id': `SO-${tag}`,
			'int.attr': '42',
			'double.attr': '1.5',
			'bool.attr': 'true',
			'arr.attr': '["a","b"]',
			'quote.attr': 'say "hi" \\ \n',
			'integration.outcome': 'failed',
			'integration.error.class': 'transport',
			'integration.error.code': 'Timeout',
			'integration.error.message': 'ERP rejected the order',
			'syncscope.derived': 'outcome=semconv.exception,error.class=semconv.exception,error.code=semconv.exception,error.message=semconv.exception'
		});
		expect(parent.ResourceAttributes).toMatchObject({ 'service.name': `svc-${tag}`, 'deployment.environment': 'test', 'host.cpus': '2' });
		expect(child).toMatchObject({
			TraceId: parent.TraceId,
			ParentSpanId: parent.SpanId,
			SpanKind: 'Client',
			StatusCode: 'Unset',
			StatusMessage: '',
			Duration: '100000000',
			ts: ns(sec, 200000000),
			evNames: [],
			lnTrace: []
		});
		// the trace's correlation ID reaches the untagged child
		expect(child.SpanAttributes).toEqual({ 'integration.correlation_id': `SO-${tag}`, 'syncscope.derived': 'correlation_id=trace' });
	});
});

describe('the trace-id lookup table and business keys', () => {
	it('are filled by the materialized views from the same inserts', async () => {
		const ids = await h.t.db.query<{ n: number }>(
			sql`SELECT count() AS n FROM otel_traces_trace_id_ts WHERE TraceId = '0af7651916cd43dd8448eb211c80319c'`
		);
		expect(ids[0].n).toBeGreaterThan(0);
		const keys = await h.t.db.query<{ KeyValue: string }>(
			sql`SELECT DISTINCT KeyValue FROM business_key_index WHERE KeyName = 'correlation_id' ORDER BY KeyValue`
		);
		expect(keys.map((k) => k.KeyValue)).toEqual(['SO-grpc', 'SO-grpc-gzip', 'SO-json', 'SO-json-gzip', 'SO-proto', 'SO-proto-gzip']);
	});
});
