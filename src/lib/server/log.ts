/**
 * Structured JSON logs, one object per line on stdout (warn and error on stderr), so a log shipper
 * can parse them without rules. Fields: time, level, msg, component, then whatever the call adds;
 * `traceId`/`spanId` are written as trace_id/span_id (the OpenTelemetry log data model's names), so
 * a log line can be joined to its trace in the console.
 *
 *   const log = logger('collector');
 *   log.info('batch inserted', { rows: 812, ms: 14, traceId });
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown> & { traceId?: string; spanId?: string; err?: unknown };

export interface Logger {
	debug(msg: string, fields?: LogFields): void;
	info(msg: string, fields?: LogFields): void;
	warn(msg: string, fields?: LogFields): void;
	error(msg: string, fields?: LogFields): void;
	/** a logger whose lines all carry these fields (e.g. a request's trace_id) */
	child(fields: LogFields): Logger;
}

export interface LogSink {
	out(line: string): void;
	err(line: string): void;
}

const KEY = Symbol.for('syncscope.log');
type State = { level: LogLevel; sink: LogSink };
type G = typeof globalThis & { [KEY]?: State };

const defaultSink: LogSink = {
	out: (line) => process.stdout.write(line + '\n'),
	err: (line) => process.stderr.write(line + '\n')
};

function state(): State {
	const g = globalThis as G;
	return (g[KEY] ??= { level: envLevel(), sink: defaultSink });
}

function envLevel(): LogLevel {
	const v = process.env.LOG_LEVEL;
	return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

/** Set the level (from config at start-up) and, in tests, where lines go. */
export function configureLogging(opts: { level?: LogLevel; sink?: LogSink }): void {
	const s = state();
	if (opts.level) s.level = opts.level;
	if (opts.sink) s.sink = opts.sink;
}

/** A logger for one component (collector, console, migrate, …). */
export function logger(component: string, base: LogFields = {}): Logger {
	const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
		const s = state();
		if (RANK[level] < RANK[s.level]) return;
		const line = JSON.stringify(record(level, component, msg, { ...base, ...fields }));
		if (RANK[level] >= RANK.warn) s.sink.err(line);
		else s.sink.out(line);
	};
	return {
		debug: (m, f) => write('debug', m, f),
		info: (m, f) => write('info', m, f),
		warn: (m, f) => write('warn', m, f),
		error: (m, f) => write('error', m, f),
		child: (f) => logger(component, { ...base, ...f })
	};
}

function record(level: LogLevel, component: string, msg: string, fields: LogFields): Record<string, unknown> {
	const { traceId, spanId, err, ...rest } = fields;
	const out: Record<string, unknown> = { time: new Date().toISOString(), level, msg, component };
	if (traceId) out.trace_id = traceId;
	if (spanId) out.span_id = spanId;
	for (const [k, v] of Object.entries(rest)) if (v !== undefined) out[k] = v;
	if (err !== undefined) out.err = describeError(err);
	return out;
}

function describeError(e: unknown): unknown {
	if (!(e instanceof Error)) return String(e);
	const out: Record<string, unknown> = { name: e.name, message: e.message };
	const code = (e as { code?: unknown }).code;
	if (code !== undefined) out.code = code;
	if (e.cause !== undefined) out.cause = describeError(e.cause);
	return out;
}

/** trace_id/span_id from a W3C traceparent header (https://www.w3.org/TR/trace-context/#traceparent-header). */
export function traceFromTraceparent(header: string | undefined | null): { traceId?: string; spanId?: string } {
	const m = header?.match(/^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/);
	return m ? { traceId: m[1], spanId: m[2] } : {};
}
