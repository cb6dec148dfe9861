/**
 * What a decoder hands to the writer: rows already encoded as JSONCompactEachRow lines, plus the
 * per-item rejections that become the response's partial_success
 * (https://opentelemetry.io/docs/specs/otlp/#partial-success).
 */
import type { Item } from '../../src/lib/server/interpret/facts';
import type { IngestLimits } from './limits';
import type { AttributeCapture } from './proto-attributes';
import type { RowWriter } from './row-writer';

export interface DecodedRows {
	/** newline-terminated JSONCompactEachRow rows, in the writer's column order */
	body(): Buffer;
	/** how many rows body() holds */
	readonly count: number;
	/** items rejected individually (bad ids, end before start, …) */
	rejected: number;
	/** the first rejection's reason, with the count */
	errorMessage: string;
}

export class RowSink implements DecodedRows {
	/** rows as strings (OTLP/JSON and logs) … */
	rows: string[] = [];
	/** … or written straight into bytes (protobuf traces, the hot path) */
	writer: RowWriter | null = null;
	rejected = 0;
	private firstError = '';
	/** with a capture: what the interpretation layer reads of each row, and where its facts go */
	readonly capture: AttributeCapture | null;
	items: Item[] = [];
	/** per row: offset of the attribute map's closing brace (bytes in writer, chars in rows[i]) */
	private cuts: number[] = [];
	/** per row: the map already has members (derived ones follow a comma) */
	private filled: boolean[] = [];

	/** per-item limits (times, sizes); null: rows are written as decoded */
	readonly limits: IngestLimits | null;

	constructor(capture: AttributeCapture | null = null, limits: IngestLimits | null = null) {
		this.capture = capture;
		this.limits = limits;
	}

	/** Record where the current row's attribute map ends. */
	cut(offset: number, filled: boolean): void {
		this.cuts.push(offset);
		this.filled.push(filled);
	}

	/** Insert each row's derived attribute members (`"k":"v",…`, '' for none) before its map's closing brace. */
	insertMembers(members: string[]): void {
		if (!members.some((m) => m.length > 0)) return;
		const sep = (i: number) => (members[i] && this.filled[i] ? ',' : '');
		if (!this.writer) {
			this.rows = this.rows.map((row, i) => (members[i] ? row.slice(0, this.cuts[i]) + sep(i) + members[i] + row.slice(this.cuts[i]) : row));
			return;
		}
		const w = this.writer;
		const parts: Buffer[] = [];
		let from = 0;
		for (let i = 0; i < members.length; i++) {
			if (!members[i]) continue;
			parts.push(w.buf.subarray(from, this.cuts[i]), Buffer.from(sep(i) + members[i]));
			from = this.cuts[i];
		}
		parts.push(w.buf.subarray(from, w.pos));
		const joined = Buffer.concat(parts);
		w.buf = joined;
		w.pos = joined.length;
	}

	body(): Buffer {
		return this.writer ? this.writer.body() : Buffer.from(this.rows.join(''));
	}

	get count(): number {
		return this.writer ? this.writer.rows : this.rows.length;
	}

	reject(reason: string): void {
		if (this.rejected++ === 0) this.firstError = reason;
	}

	get errorMessage(): string {
		if (this.rejected === 0) return '';
		return this.rejected === 1 ? this.firstError : `${this.rejected} items rejected; first: ${this.firstError}`;
	}
}

/** JSON string literal (ClickHouse reads JSON escapes in JSONCompactEachRow). */
export const q = JSON.stringify as (s: string) => string;

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Hex of an id the exporter writes as '' when all zero (traceutil.*IDToHexOrEmptyString). */
export function idOrEmpty(hex: string): string {
	return hex === ZERO_TRACE || hex === ZERO_SPAN ? '' : hex;
}

/** Why a trace id is invalid (16 bytes, not all zero), or '' when it is fine. */
export function traceIdProblem(hex: string): string {
	if (hex.length !== 32) return `trace_id must be 16 bytes (got ${hex.length / 2})`;
	if (hex === ZERO_TRACE) return 'trace_id must not be all zeros';
	return '';
}

export function spanIdProblem(hex: string, field = 'span_id'): string {
	if (hex.length !== 16) return `${field} must be 8 bytes (got ${hex.length / 2})`;
	if (hex === ZERO_SPAN) return `${field} must not be all zeros`;
	return '';
}

/** traceutil.SpanKindStr */
export const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** traceutil.StatusCodeStr */
export const STATUS_CODES = ['Unset', 'Ok', 'Error'];

const SPAN_KIND_NAMES: Record<string, number> = {
	SPAN_KIND_UNSPECIFIED: 0,
	SPAN_KIND_INTERNAL: 1,
	SPAN_KIND_SERVER: 2,
	SPAN_KIND_CLIENT: 3,
	SPAN_KIND_PRODUCER: 4,
	SPAN_KIND_CONSUMER: 5
};
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** OTLP/JSON enums are integers; enum names are accepted as protojson does. -1 when invalid. */
export function jsonEnum(v: unknown, names: 'kind' | 'status' | 'severity'): number {
	if (v === undefined || v === null) return 0;
	if (typeof v === 'number' && Number.isInteger(v)) return v;
	if (typeof v === 'string') {
		const table = names === 'kind' ? SPAN_KIND_NAMES : names === 'status' ? STATUS_NAMES : SEVERITY_NAMES;
		const n = table[v];
		if (n !== undefined) return n;
	}
	return -1;
}

const SEVERITY_NAMES: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
for (const [i, n] of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].entries())
	for (let k = 1; k <= 4; k++) SEVERITY_NAMES[`SEVERITY_NUMBER_${n}${k === 1 ? '' : k}`] = i * 4 + k;
