/**
 * The simulated estate's OpenTelemetry plumbing: one tracer provider and one logger provider per
 * service (each with its own `service.name` resource, as separate middleware processes would have),
 * a BatchSpanProcessor / BatchLogRecordProcessor in front of OTLP/HTTP protobuf exporters (or
 * in-memory exporters in tests), and `step()`, which turns one integration step into a span that
 * follows the telemetry contract (docs/contracts.md, /shared/BRIEF.md "Telemetry contract").
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type IdGenerator, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** The estate's components; each is its own OpenTelemetry resource. */
export const SERVICES = {
	crm: 'crm-connector',
	o2c: 'mulesoft-o2c',
	erp: 'erp-adapter',
	wms: 'wms-adapter',
	edi: 'edi-gateway',
	inventory: 'inventory-sync',
	mdm: 'mdm-hub',
	commerce: 'commerce-connector'
} as const;
export type Service = (typeof SERVICES)[keyof typeof SERVICES];

/** Resource attribute that marks telemetry as the demo's (the CLI checks it before a backfill). */
export const DEMO_NAMESPACE = 'keystone-integration';

export type Outcome = 'success' | 'failed' | 'duplicate' | 'rejected';
export type ErrorClass = 'transport' | 'validation' | 'business' | 'auth' | 'duplicate';

export interface StepError {
	class: ErrorClass;
	code: string;
	message: string;
}

/** One integration step: the span's identity, its business tags and what happened. */
export interface StepSpec {
	service: Service;
	flow: string;
	step: string;
	/** the span this step follows; none starts a new trace (a partner message arriving later) */
	parent?: SpanContext;
	/** spans in other traces this one answers (an 855 links to the 850 it acknowledges) */
	links?: SpanContext[];
	/** epoch milliseconds */
	start: number;
	durationMs: number;
	kind?: SpanKind;
	correlationId: string;
	source: string;
	target: string;
	entityType: string;
	entityId: string;
	messageId: string;
	idempotencyKey: string;
	attempt?: number;
	outcome?: Outcome;
	error?: StepError;
	amount?: number;
	currency?: string;
	partner?: string;
	/** epoch milliseconds: when the business event happened at its source */
	eventTime?: number;
	attributes?: Attributes;
}

export interface StepResult {
	spec: StepSpec;
	context: SpanContext;
	end: number;
	ok: boolean;
}

/** Where the telemetry goes: one exporter per service and signal. */
export interface Sinks {
	spanExporter(service: Service): SpanExporter;
	logExporter(service: Service): LogRecordExporter;
}

/** OTLP/HTTP protobuf to a collector, e.g. http://127.0.0.1:4318. */
export function otlpSinks(baseUrl: string, headers: Record<string, string> = {}): Sinks {
	const base = baseUrl.replace(/\/+$/, '');
	return {
		spanExporter: () => new OTLPTraceExporter({ url: `${base}/v1/traces`, headers, timeoutMillis: 30_000 }),
		logExporter: () => new OTLPLogExporter({ url: `${base}/v1/logs`, headers, timeoutMillis: 30_000 })
	};
}

/** In-memory exporters shared by every service (tests read what was emitted from them). */
export function memorySinks(): Sinks & { spans: InMemorySpanExporter; logs: InMemoryLogRecordExporter } {
	const spans = new InMemorySpanExporter();
	const logs = new InMemoryLogRecordExporter();
	return { spans, logs, spanExporter: () => spans, logExporter: () => logs };
}

/** epoch ms → HrTime. The SDK reads a bare number below process start as performance.now(). */
export function hr(ms: number): HrTime {
	const seconds = Math.floor(ms / 1000);
	return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export interface TelemetryOptions {
	idGenerator?: IdGenerator;
	/** BatchSpanProcessor delay; short in live mode so the console moves */
	scheduledDelayMillis?: number;
}

export interface ExportStats {
	spans: number;
	logs: number;
	failedSpans: number;
	failedLogs: number;
}

export class Telemetry {
	readonly stats: ExportStats = { spans: 0, logs: 0, failedSpans: 0, failedLogs: 0 };
	private readonly tracers = new Map<Service, BasicTracerProvider>();
	private readonly loggers = new Map<Service, LoggerProvider>();

	constructor(
		private readonly sinks: Sinks,
		private readonly options: TelemetryOptions = {}
	) {}

	private buffer() {
		// Backfills end many spans synchronously between flushes: a roomy queue so none is dropped.
		return { maxQueueSize: 100_000, maxExportBatchSize: 2_000, scheduledDelayMillis: this.options.scheduledDelayMillis ?? 1_000 };
	}

	private resource(service: Service) {
		return resourceFromAttributes({
			'service.name': service,
			'service.namespace': DEMO_NAMESPACE,
			'service.version': '2026.11.2',
			'deployment.environment.name': 'demo',
			'telemetry.sdk.language': 'nodejs'
		});
	}

	private tracerProvider(service: Service): BasicTracerProvider {
		let p = this.tracers.get(service);
		if (!p) {
			const exporter = counting<ReadableSpan>(this.sinks.spanExporter(service), (n, ok) => (ok ? (this.stats.spans += n) : (this.stats.failedSpans += n)));
			p = new BasicTracerProvider({
				resource: this.resource(service),
				idGenerator: this.options.idGenerator,
				spanProcessors: [new BatchSpanProcessor(exporter, this.buffer())]
			});
			this.tracers.set(service, p);
		}
		return p;
	}

	private loggerProvider(service: Service): LoggerProvider {
		let p = this.loggers.get(service);
		if (!p) {
			const exporter = counting<ReadableLogRecord>(this.sinks.logExporter(service), (n, ok) => (ok ? (this.stats.logs += n) : (this.stats.failedLogs += n)));
			p = new LoggerProvider({ resource: this.resource(service), processors: [new BatchLogRecordProcessor(exporter, this.buffer())] });
			this.loggers.set(service, p);
		}
		return p;
	}

	/** Emit one step as a span; failures get status ERROR and an exception event. */
	step(spec: StepSpec): StepResult {
		const outcome = spec.outcome ?? 'success';
		const parentCtx = spec.parent ? trace.setSpanContext(ROOT_CONTEXT, spec.parent) : ROOT_CONTEXT;
		const end = spec.start + spec.durationMs;
		const span = this.tracerProvider(spec.service)
			.getTracer('keystone-middleware', '2026.11.2')
			.startSpan(
				spec.step,
				{ kind: spec.kind ?? SpanKind.INTERNAL, startTime: hr(spec.start), attributes: contractAttributes(spec), links: spec.links?.map((context) => ({ context })) },
				parentCtx
			);
		const failed = outcome === 'failed' || outcome === 'rejected';
		if (failed && spec.error) {
			span.recordException({ name: exceptionType(spec.error.class), message: spec.error.message, code: spec.error.code }, hr(end));
			span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error.message });
		} else if (!failed) {
			span.setStatus({ code: SpanStatusCode.OK });
		}
		span.end(hr(end));
		return { spec, context: span.spanContext(), end, ok: !failed };
	}

	/** The message could not be delivered: body = the payload a replay re-sends. */
	deadLetter(result: StepResult, payload: unknown): void {
		const e = result.spec.error;
		const why = e ? { 'exception.type': exceptionType(e.class), 'exception.message': e.message } : {};
		this.log(result, 'integration.dead_letter', JSON.stringify(payload), SeverityNumber.ERROR, result.end + 5, why);
	}

	/** A partner acknowledgement or business milestone (EDI 855, 856, 997 …). */
	ack(result: StepResult, document: string, extra: Attributes = {}): void {
		this.log(result, 'integration.ack', `${document} received for ${result.spec.entityId}`, SeverityNumber.INFO, result.end, extra);
	}

	private log(result: StepResult, eventName: string, body: string, severity: SeverityNumber, at: number, extra: Attributes = {}): void {
		this.loggerProvider(result.spec.service)
			.getLogger('keystone-middleware', '2026.11.2')
			.emit({
				eventName,
				timestamp: hr(at),
				observedTimestamp: hr(at),
				severityNumber: severity,
				severityText: severity >= SeverityNumber.ERROR ? 'ERROR' : 'INFO',
				body,
				// event.name as an attribute too, for pipelines that predate the LogRecord EventName field
				attributes: { 'event.name': eventName, ...contractAttributes(result.spec), ...extra } as Record<string, string | number>,
				context: trace.setSpanContext(ROOT_CONTEXT, result.context)
			});
	}

	/** Export everything queued (backfills flush per chunk, which also applies back-pressure). */
	async flush(): Promise<void> {
		await Promise.all([...this.tracers.values(), ...this.loggers.values()].map((p) => p.forceFlush()));
	}

	async shutdown(): Promise<void> {
		await Promise.all([...this.tracers.values(), ...this.loggers.values()].map((p) => p.shutdown()));
		this.tracers.clear();
		this.loggers.clear();
	}
}

/** The telemetry contract's attributes for one step. */
export function contractAttributes(s: StepSpec): Attributes {
	const a: Attributes = {
		'integration.correlation_id': s.correlationId,
		'integration.flow': s.flow,
		'integration.step': s.step,
		'integration.source': s.source,
		'integration.target': s.target,
		'integration.entity.type': s.entityType,
		'integration.entity.id': s.entityId,
		'integration.message_id': s.messageId,
		'integration.idempotency_key': s.idempotencyKey,
		'integration.attempt': s.attempt ?? 1,
		'integration.outcome': s.outcome ?? 'success'
	};
	if (s.error) {
		a['integration.error.class'] = s.error.class;
		a['integration.error.code'] = s.error.code;
	}
	if (s.amount !== undefined) {
		a['integration.amount'] = Math.round(s.amount * 100) / 100;
		a['integration.currency'] = s.currency ?? 'USD';
	}
	if (s.partner) a['integration.partner'] = s.partner;
	if (s.eventTime !== undefined) a['integration.event_time'] = new Date(s.eventTime).toISOString();
	return { ...a, ...s.attributes };
}

function exceptionType(c: ErrorClass): string {
	return { transport: 'TransportError', validation: 'ValidationError', business: 'BusinessRuleError', auth: 'AuthError', duplicate: 'DuplicateMessageError' }[c];
}

/** The shape SpanExporter and LogRecordExporter share. */
interface Exporter<T> {
	export(items: T[], done: (r: ExportResult) => void): void;
	shutdown(): Promise<void>;
	forceFlush?(): Promise<void>;
}

/** Wraps an exporter to count what was delivered and what was refused, so the CLI can say so. */
function counting<T>(inner: Exporter<T>, count: (n: number, ok: boolean) => void): Exporter<T> {
	return {
		export: (items, done) =>
			inner.export(items, (r) => {
				count(items.length, r.code === ExportResultCode.SUCCESS);
				done(r);
			}),
		shutdown: () => inner.shutdown(),
		forceFlush: () => inner.forceFlush?.() ?? Promise.resolve()
	};
}
