/**
 * Send spans and log records finished by the OpenTelemetry SDK through the real collector
 * (OTLP/HTTP protobuf, port 0), the way middleware would. Each call is one export: sending the same
 * spans twice is a client re-sending a batch.
 */
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { startCollector, type Collector } from '../../collector/index';
import type { Config } from '../../src/lib/server/config';
import type { Db } from '../../src/lib/server/db';

function done(resolve: () => void, reject: (e: Error) => void) {
	return (r: ExportResult) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error('export failed')));
}

export class Sender {
	private constructor(private collector: Collector) {}

	static async start(config: Config, db: Db): Promise<Sender> {
		const collector = await startCollector({ config: { ...config, otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1' }, db, log: () => {} });
		return new Sender(collector);
	}

	private url(signal: 'traces' | 'logs') {
		return `http://127.0.0.1:${this.collector.httpPort}/v1/${signal}`;
	}

	async spans(spans: readonly ReadableSpan[]): Promise<void> {
		const exporter = new OTLPTraceExporter({ url: this.url('traces') });
		await new Promise<void>((resolve, reject) => exporter.export([...spans], done(resolve, reject)));
		await exporter.shutdown();
	}

	async logs(logs: readonly ReadableLogRecord[]): Promise<void> {
		const exporter = new OTLPLogExporter({ url: this.url('logs') });
		await new Promise<void>((resolve, reject) => exporter.export([...logs], done(resolve, reject)));
		await exporter.shutdown();
	}

	/** Flush what the collector accepted into ClickHouse and stop it. */
	async close(): Promise<void> {
		await this.collector.shutdown();
	}
}
