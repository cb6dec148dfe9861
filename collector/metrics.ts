/**
 * The collector's own counters, rendered as Prometheus text (GET /metrics on the OTLP/HTTP port,
 * and `metrics()` on the collector object). Names follow the OpenTelemetry Collector's receiver
 * and exporter metrics where one exists (accepted/refused items).
 */
export type SignalName = 'traces' | 'logs';

class Histogram {
	readonly counts: number[];
	sum = 0;
	count = 0;
	constructor(readonly bounds: number[]) {
		this.counts = new Array(bounds.length).fill(0);
	}
	observe(v: number): void {
		this.sum += v;
		this.count++;
		for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) this.counts[i]++;
	}
	render(name: string, labels: string): string[] {
		const l = labels ? `${labels},` : '';
		const lines = this.bounds.map((b, i) => `${name}_bucket{${l}le="${b}"} ${this.counts[i]}`);
		lines.push(`${name}_bucket{${l}le="+Inf"} ${this.count}`);
		lines.push(`${name}_sum${labels ? `{${labels}}` : ''} ${this.sum}`);
		lines.push(`${name}_count${labels ? `{${labels}}` : ''} ${this.count}`);
		return lines;
	}
}

interface SignalCounters {
	/** items decoded from requests */
	received: number;
	/** items inserted (acknowledged with 200) */
	accepted: number;
	/** items dropped individually (partial success) */
	rejected: number;
	/** items in requests answered 429/503 (the client may retry them) */
	refused: number;
	batches: number;
	insertFailures: number;
	insertLatency: Histogram;
	batchRows: Histogram;
}

function signalCounters(): SignalCounters {
	return {
		received: 0,
		accepted: 0,
		rejected: 0,
		refused: 0,
		batches: 0,
		insertFailures: 0,
		insertLatency: new Histogram([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
		batchRows: new Histogram([1, 10, 100, 512, 1000, 5000, 10000, 50000, 100000])
	};
}

export class Metrics {
	readonly signals: Record<SignalName, SignalCounters> = { traces: signalCounters(), logs: signalCounters() };
	/** requests by transport and status (HTTP status or gRPC code name) */
	readonly requests = new Map<string, number>();
	/** live gauges, read at render time */
	gauges: () => { queuedRows: number; queuedBytes: number; storeHealthy: boolean } = () => ({
		queuedRows: 0,
		queuedBytes: 0,
		storeHealthy: true
	});

	request(transport: 'http' | 'grpc', signal: string, status: string | number): void {
		const k = `transport="${transport}",signal="${signal}",status="${status}"`;
		this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
	}

	render(): string {
		const out: string[] = [];
		const counter = (name: string, help: string, pick: (c: SignalCounters) => number) => {
			out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
			for (const [s, c] of Object.entries(this.signals)) out.push(`${name}{signal="${s}"} ${pick(c)}`);
		};
		counter('syncscope_collector_received_items_total', 'Spans/log records decoded from requests.', (c) => c.received);
		counter('syncscope_collector_accepted_items_total', 'Spans/log records inserted and acknowledged.', (c) => c.accepted);
		counter('syncscope_collector_rejected_items_total', 'Spans/log records dropped as invalid (partial success).', (c) => c.rejected);
		counter('syncscope_collector_refused_items_total', 'Spans/log records in requests refused with 429/503.', (c) => c.refused);
		counter('syncscope_collector_batches_total', 'Inserts performed (one per table per batch).', (c) => c.batches);
		counter('syncscope_collector_insert_failures_total', 'Insert attempts that failed.', (c) => c.insertFailures);
		out.push('# HELP syncscope_collector_insert_seconds Insert latency per batch.', '# TYPE syncscope_collector_insert_seconds histogram');
		for (const [s, c] of Object.entries(this.signals)) out.push(...c.insertLatency.render('syncscope_collector_insert_seconds', `signal="${s}"`));
		out.push('# HELP syncscope_collector_batch_rows Rows per insert.', '# TYPE syncscope_collector_batch_rows histogram');
		for (const [s, c] of Object.entries(this.signals)) out.push(...c.batchRows.render('syncscope_collector_batch_rows', `signal="${s}"`));
		out.push('# HELP syncscope_collector_requests_total Export requests by transport and status.', '# TYPE syncscope_collector_requests_total counter');
		for (const [k, v] of this.requests) out.push(`syncscope_collector_requests_total{${k}} ${v}`);
		const g = this.gauges();
		out.push(
			'# HELP syncscope_collector_queued_rows Rows waiting for or in an insert.',
			'# TYPE syncscope_collector_queued_rows gauge',
			`syncscope_collector_queued_rows ${g.queuedRows}`,
			'# HELP syncscope_collector_queued_bytes Encoded bytes waiting for or in an insert.',
			'# TYPE syncscope_collector_queued_bytes gauge',
			`syncscope_collector_queued_bytes ${g.queuedBytes}`,
			'# HELP syncscope_collector_store_healthy 1 when the last insert or ping succeeded.',
			'# TYPE syncscope_collector_store_healthy gauge',
			`syncscope_collector_store_healthy ${g.storeHealthy ? 1 : 0}`
		);
		return out.join('\n') + '\n';
	}
}
