/** The official OpenTelemetry JS log exporters (protobuf, JSON, gRPC) → otel_logs, every column read back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { sql } from '../../src/lib/server/db';
import { recentSeconds, startHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(async () => h?.stop());

function makeLogs(tag: string): { logs: ReadableLogRecord[]; sec: number } {
	const memory = new InMemoryLogRecordExporter();
	const provider = new LoggerProvider({
		resource: resourceFromAttributes({ 'service.name': `logsvc-${tag}`, 'service.version': '9.9' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
		processors: [new SimpleLogRecordProcessor(memory)]
	});
	const logger = provider.getLogger('syncscope-log-scope', '4.5.6', { schemaUrl: 'https://opentelemetry.io/schemas/1.29.0' });
	const sec = recentSeconds();
	const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', traceFlags: 1 });
	logger.emit({
		timestamp: [sec, 111222333],
		observedTimestamp: [sec + 5, 0],
		severityNumber: SeverityNumber.ERROR,
		severityText: 'ERROR',
		body: 'order SO-1001 could not be delivered',
		attributes: { 'event.name': 'integration.dead_letter', 'integration.correlation_id': `SO-${tag}`, 'integration.attempt': 3 },
		context: ctx
	});
	logger.emit({
		eventName: 'integration.ack',
		timestamp: [sec + 2, 999],
		observedTimestamp: [sec + 3, 0],
		severityNumber: SeverityNumber.INFO,
		body: { partner: 'acme', doc: 855, lines: [1, 2], ok: true } as never,
		attributes: { 'integration.partner': 'acme' }
	});
	return { logs: memory.getFinishedLogRecords(), sec };
}

function exportWith(exporter: LogRecordExporter, logs: ReadableLogRecord[]): Promise<number> {
	return new Promise((resolve) => exporter.export(logs, (r) => resolve(r.code)));
}

const ns = (sec: number, nanos: number) => (BigInt(sec) * 1_000_000_000n + BigInt(nanos)).toString();

describe.each([
	['proto', (port: number) => new ProtoExporter({ url: `http://127.0.0.1:${port}/v1/logs` })],
	['json', (port: number) => new JsonExporter({ url: `http://127.0.0.1:${port}/v1/logs` })],
	['grpc', (_port: number, grpc: number) => new GrpcExporter({ url: `http://127.0.0.1:${grpc}` })]
] as const)('log records through the %s exporter', (tag, make) => {
	it('are stored with every exporter-schema column', async () => {
		const { logs, sec } = makeLogs(tag);
		const exporter = make(h.collector.httpPort, h.collector.grpcPort);
		expect(await exportWith(exporter, logs)).toBe(ExportResultCode.SUCCESS);
		await exporter.shutdown();
		const rows = await h.t.db.query<Record<string, unknown>>(sql`
			SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber,
				ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes,
				LogAttributes, EventName
			FROM otel_logs WHERE ServiceName = ${{ String: `logsvc-${tag}` }} ORDER BY Timestamp`);
		expect(rows).toHaveLength(2);
		const common = {
			ServiceName: `logsvc-${tag}`,
			ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
			ScopeSchemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
			ScopeName: 'syncscope-log-scope',
			ScopeVersion: '4.5.6',
			ScopeAttributes: {}
		};
		expect(rows[1]).toMatchObject({
			...common,
			ts: ns(sec + 2, 999),
			TraceId: '',
			SpanId: '',
			TraceFlags: 0,
			SeverityText: '',
			SeverityNumber: 9,
			Body: '{"doc":855,"lines":[1,2],"ok":true,"partner":"acme"}',
			LogAttributes: { 'integration.partner': 'acme' },
			EventName: 'integration.ack'
		});
		expect(rows[0]).toMatchObject({
			...common,
			ts: ns(sec, 111222333),
			TraceId: '5b8efff798038103d269b633813fc60c',
			SpanId: 'eee19b7ec3c1b174',
			TraceFlags: 1,
			SeverityText: 'ERROR',
			SeverityNumber: 17,
			Body: 'order SO-1001 could not be delivered',
			LogAttributes: { 'event.name': 'integration.dead_letter', 'integration.correlation_id': `SO-${tag}`, 'integration.attempt': '3' },
			EventName: 'integration.dead_letter'
		});
		expect(rows[0].ResourceAttributes).toMatchObject({ 'service.name': `logsvc-${tag}`, 'service.version': '9.9' });
	});
});

describe('business keys from logs', () => {
	it('index log records by correlation id', async () => {
		const keys = await h.t.db.query<{ KeyValue: string; Signal: string }>(
			sql`SELECT KeyValue, Signal FROM business_key_index WHERE KeyName = 'correlation_id' ORDER BY KeyValue`
		);
		expect(keys).toEqual([
			{ KeyValue: 'SO-grpc', Signal: 'log' },
			{ KeyValue: 'SO-json', Signal: 'log' },
			{ KeyValue: 'SO-proto', Signal: 'log' }
		]);
	});
});
