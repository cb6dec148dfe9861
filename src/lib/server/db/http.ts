/**
 * Server transport: ClickHouse over HTTP with @clickhouse/client (CLICKHOUSE_URL). Collector and
 * console can then run as separate, horizontally scaled processes against one server or cluster.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClientLogger } from '@clickhouse/client';
import { logger } from '../log';
import type { Db, RawInsert } from './types';
import { StoreUnavailableError } from './types';
import { ident, join, raw, sql, type Sql } from './sql';

export interface HttpDbOptions {
	url: string;
	username: string;
	password: string;
	database: string;
	/** abort a request that takes longer (a stuck server must not hold a batch forever) */
	requestTimeoutMs?: number;
	/** sockets per process; inserts beyond it queue in the client */
	maxOpenConnections?: number;
	/** reported to the server as the client name (system.query_log.http_user_agent) */
	application?: string;
	/** cluster name: inserts into Distributed tables are then answered only once the shards have them */
	cluster?: string;
}

export class HttpDb implements Db {
	readonly kind = 'http' as const;
	private open: ClickHouseClient | null = null;

	constructor(private readonly o: HttpDbOptions) {}

	/** The client, created on first use and again after close() (as the embedded transport reopens). */
	private get client(): ClickHouseClient {
		const o = this.o;
		return (this.open ??= createClient({
			url: o.url,
			username: o.username,
			password: o.password,
			database: o.database,
			application: o.application ?? 'syncscope',
			log: { LoggerClass: ClientLog, level: ClickHouseLogLevel.WARN },
			request_timeout: o.requestTimeoutMs ?? 60_000,
			max_open_connections: o.maxOpenConnections ?? 10,
			// a server-side idle close must not meet a reused socket (ECONNRESET on the next insert)
			keep_alive: { enabled: true, idle_socket_ttl: 2_500 },
			clickhouse_settings: {
				output_format_json_quote_64bit_integers: 0,
				session_timezone: 'UTC',
				// an INSERT is answered only once its data is written
				wait_end_of_query: 1,
				// …on the shards, not in the Distributed table's local queue: an acknowledged batch must
				// survive this node, and insert_deduplication_token must reach the replicated tables
				...(o.cluster ? { distributed_foreground_insert: 1 } : {})
			}
		}));
	}

	async query<T>(q: Sql): Promise<T[]> {
		const rs = await wrap(() => this.client.query({ query: q.text, query_params: { ...q.params }, format: 'JSONEachRow' }));
		return rs.json<T>();
	}

	async exec(q: Sql): Promise<void> {
		await wrap(() => this.client.command({ query: q.text, query_params: { ...q.params } }));
	}

	/**
	 * The body is already encoded, so it goes out as bytes through exec(): client.insert() would
	 * re-encode a Buffer (JSON formats want objects there), storing nothing useful.
	 */
	async insertRaw(table: string, body: Buffer, opts: RawInsert): Promise<void> {
		const target = ident(table);
		const columns = opts.columns?.length ? sql` (${join(opts.columns.map((c) => sql`${ident(c)}`), ', ')})` : raw('');
		const statement = sql`INSERT INTO ${target}${columns} FORMAT ${raw(opts.format)}`;
		await wrap(async () => {
			const r = await this.client.exec({
				query: statement.text,
				values: Readable.from([body], { objectMode: false }),
				clickhouse_settings: opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : undefined
			});
			r.stream.resume();
			await finished(r.stream);
		});
	}

	async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
		if (rows.length === 0) return;
		await wrap(() => this.client.insert({ table, values: [...rows], format: 'JSONEachRow' }));
	}

	async ping(): Promise<void> {
		const r = await this.client.ping();
		if (!r.success) throw new StoreUnavailableError(`ClickHouse ping failed: ${r.error.message}`, { cause: r.error });
	}

	async close(): Promise<void> {
		const c = this.open;
		this.open = null;
		await c?.close();
	}
}

const clientLog = logger('clickhouse-client');

/**
 * The client's own log lines, as JSON lines at debug level: every failure it warns about is also
 * thrown to the caller, which classifies it and logs it once with context (or answers 503).
 */
class ClientLog implements ClientLogger {
	trace() {}
	debug() {}
	info() {}
	warn(p: { message: string; args?: Record<string, unknown>; err?: Error }) {
		clientLog.debug(p.message, { err: p.err, queryId: p.args?.query_id });
	}
	error(p: { message: string; args?: Record<string, unknown>; err: Error }) {
		clientLog.debug(p.message, { err: p.err, queryId: p.args?.query_id });
	}
}

/** Socket-level failures: the server is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/**
 * ClickHouse errors that say "later, not never": overload, a replica without Keeper, a lost
 * connection inside the cluster. Codes from src/Common/ErrorCodes.cpp.
 */
const TRANSIENT_CLICKHOUSE_TYPES = new Set([
	'TIMEOUT_EXCEEDED', 'TOO_MANY_SIMULTANEOUS_QUERIES', 'MEMORY_LIMIT_EXCEEDED', 'TOO_MANY_PARTS',
	'TABLE_IS_READ_ONLY', 'NO_ZOOKEEPER', 'KEEPER_EXCEPTION', 'NETWORK_ERROR', 'SOCKET_TIMEOUT',
	'ALL_CONNECTION_TRIES_FAILED', 'ALL_REPLICAS_ARE_STALE', 'UNKNOWN_STATUS_OF_INSERT', 'REPLICA_IS_NOT_IN_QUORUM',
	'TOO_FEW_LIVE_REPLICAS', 'SERVER_OVERLOADED', 'ABORTED', 'QUERY_WAS_CANCELLED'
]);

/** Map a client error: retryable failures become StoreUnavailableError; SQL errors stay as they are. */
export function classifyError(e: unknown): unknown {
	const err = e as { code?: string | number; type?: string; message?: string };
	if (typeof err?.code === 'string' && NETWORK_CODES.has(err.code)) {
		return new StoreUnavailableError(`ClickHouse unreachable: ${err.code}`, { cause: e });
	}
	if (err?.type && TRANSIENT_CLICKHOUSE_TYPES.has(err.type)) {
		return new StoreUnavailableError(`ClickHouse is overloaded or degraded: ${err.type}`, { cause: e });
	}
	// Same text as the embedded engine's errors ("Code: 27. DB::Exception: … (CANNOT_PARSE_INPUT…)"),
	// so callers that read the code from the message behave alike on both transports.
	if (e instanceof ClickHouseError && !/^Code: \d+\./.test(e.message)) {
		e.message = `Code: ${e.code}. DB::Exception: ${e.message.trim()} (${e.type})`;
		return e;
	}
	// the client's own request_timeout, a socket hung up, or a proxy in front answering 502/503/504
	const msg = err?.message ?? '';
	if (/^Timeout error\.?$|socket hang up|^(502|503|504) |<html/i.test(msg)) {
		return new StoreUnavailableError(`ClickHouse unreachable: ${msg.slice(0, 80)}`, { cause: e });
	}
	return e;
}

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (e) {
		throw classifyError(e);
	}
}
