/**
 * The writer: one group-commit TableWriter per signal, back-pressure and store health.
 * - Over maxQueuedBytes waiting for insert → QueueFullError (429 + Retry-After).
 * - A batch that fails all its attempts → every waiter gets UnavailableError (503 + Retry-After),
 *   and new requests fail fast with 503 until a ping succeeds (no pile-up on a dead store).
 * Nothing is acknowledged before its insert has returned.
 */
import type { Config } from '../../src/lib/server/config';
import type { Db } from '../../src/lib/server/db';
import { QueueFullError, RefusedByStoreError, UnavailableError } from '../errors';
import type { Metrics, SignalName } from '../metrics';
import { LOG_COLUMNS } from '../signals/logs';
import { TRACE_COLUMNS } from '../signals/traces';
import { TableWriter } from './table-writer';

const PING_INTERVAL_MS = 1000;

export class Writer {
	private readonly tables: Record<SignalName, TableWriter>;
	private healthy = true;
	private lastError = '';
	private pinging: Promise<void> | null = null;
	private lastPing = 0;
	private pingTimer: NodeJS.Timeout | null = null;

	constructor(
		private readonly db: Db,
		private readonly config: Config,
		metrics: Metrics,
		private readonly log: (msg: string) => void = (m) => console.warn(m)
	) {
		const make = (signal: SignalName, table: string, columns: readonly string[]) =>
			new TableWriter({
				db,
				table,
				columns,
				lingerMs: config.batchLingerMs,
				maxRows: config.batchMaxRows,
				concurrency: config.insertConcurrency,
				attempts: config.insertAttempts,
				backoffMs: (n) => Math.min(1000, 50 * 2 ** (n - 1)),
				onInsert: (rows, seconds) => {
					const c = metrics.signals[signal];
					c.batches++;
					c.accepted += rows;
					c.insertLatency.observe(seconds);
					c.batchRows.observe(rows);
				},
				onAttemptFailed: (e) => {
					metrics.signals[signal].insertFailures++;
					this.log(`collector: insert into ${table} failed: ${(e as Error)?.message ?? e}`);
				},
				// the engine's text stays in the log: clients get what they can act on, not ClickHouse internals
				onRefusedData: (e) => {
					this.log(`collector: the store refused a request's rows for ${table}: ${((e as Error)?.message ?? String(e)).split('\n')[0].slice(0, 500)}`);
					return new RefusedByStoreError(`a value of this request could not be stored in ${table}; nothing of the request was stored (the collector log has the detail)`);
				},
				onGaveUp: (e) => {
					this.markDown(e);
					return new UnavailableError('the store is unavailable; retry later', config.retryAfterSeconds);
				}
			});
		this.tables = { traces: make('traces', 'otel_traces', TRACE_COLUMNS), logs: make('logs', 'otel_logs', LOG_COLUMNS) };
		metrics.gauges = () => ({ queuedRows: this.queuedRows, queuedBytes: this.queuedBytes, storeHealthy: this.healthy });
	}

	get queuedRows(): number {
		return this.tables.traces.queuedRows + this.tables.logs.queuedRows;
	}

	get queuedBytes(): number {
		return this.tables.traces.queuedBytes + this.tables.logs.queuedBytes;
	}

	/** Queue rows for insert; resolves when they are stored. Throws 429/503 errors at once when refusing. */
	write(signal: SignalName, body: Buffer, rows: number): Promise<void> {
		if (!this.healthy) {
			this.pingSoon();
			return Promise.reject(new UnavailableError(`the store is unavailable (${this.lastError}); retry later`, this.config.retryAfterSeconds));
		}
		if (this.queuedBytes + body.length > this.config.maxQueuedBytes) {
			return Promise.reject(new QueueFullError(this.config.retryAfterSeconds));
		}
		return this.tables[signal].append(body, rows);
	}

	async flush(): Promise<void> {
		await Promise.all([this.tables.traces.flush(), this.tables.logs.flush()]);
	}

	close(): void {
		if (this.pingTimer) clearInterval(this.pingTimer);
		this.pingTimer = null;
	}

	private markDown(e: unknown): void {
		this.lastError = (e as Error)?.message ?? String(e);
		if (!this.healthy) return;
		this.healthy = false;
		this.log(`collector: store unavailable, answering 503 until a ping succeeds: ${this.lastError}`);
		this.pingTimer ??= setInterval(() => this.pingSoon(), PING_INTERVAL_MS);
		this.pingTimer.unref();
	}

	/** At most one ping per interval; a success reopens the writer. */
	private pingSoon(): void {
		if (this.pinging || Date.now() - this.lastPing < PING_INTERVAL_MS) return;
		this.lastPing = Date.now();
		this.pinging = this.db
			.ping()
			.then(() => {
				this.healthy = true;
				this.log('collector: store reachable again');
				if (this.pingTimer) clearInterval(this.pingTimer);
				this.pingTimer = null;
			})
			.catch((e) => {
				this.lastError = (e as Error)?.message ?? String(e);
			})
			.finally(() => {
				this.pinging = null;
			});
	}
}
