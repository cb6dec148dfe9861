/**
 * The re-interpret job's read side: one UTC day of stored spans and log records, a chunk of whole
 * traces at a time, interpreted as the collector does (stored.ts strips what the layer added, the
 * rules derive it anew, collector/interpret.ts says which members a row gains). Rows whose
 * attribute map comes out different are written to reinterpret_rows; a day with none is left alone.
 */
import { derivedMembers } from '../../../../collector/interpret';
import { sql, type Db } from '../db';
import { interpretBatch, TraceMemory } from './batch';
import type { CompiledRule } from './engine';
import type { Item } from './facts';
import { itemFromLog, itemFromSpan, LOG_COLUMNS, SPAN_COLUMNS, type StoredLog, type StoredSpan } from './stored';
import { inChunk, LOG_ID, logsOf, SPAN_ID, spansOf, type Day } from './reinterpret-store';

/** Spans and log records read (and interpreted together) at a time. */
export const CHUNK_ROWS = 20_000;

type Hashed<T> = T & { RowHash: string };

/** One stored row (all its copies: a re-sent span is stored twice) and what it becomes. */
interface Row {
	signal: 'span' | 'log';
	hash: string;
	item: Item;
	stored: Record<string, string>[];
}

/** The attribute map a row is stored with under these facts: as sent, plus the derived members. */
export function rewrittenAttributes(original: Record<string, string>, members: string): Record<string, string> {
	return members ? { ...original, ...(JSON.parse(`{${members}}`) as Record<string, string>) } : original;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
	const ka = Object.keys(a);
	if (ka.length !== Object.keys(b).length) return false;
	for (const k of ka) if (b[k] !== a[k]) return false;
	return true;
}

function group<T>(rows: Hashed<T>[], signal: Row['signal'], item: (r: T) => Item, attrs: (r: T) => Record<string, string>): Row[] {
	const out = new Map<string, Row>();
	for (const r of rows) {
		const seen = out.get(r.RowHash);
		if (seen) seen.stored.push(attrs(r));
		else out.set(r.RowHash, { signal, hash: r.RowHash, item: item(r), stored: [attrs(r)] });
	}
	return [...out.values()];
}

/** Read one chunk: its spans (ordered within each trace as they happened) and log records. */
async function readChunk(d: Db, day: Day, chunks: number, i: number): Promise<{ rows: Row[]; read: number }> {
	const [spans, logs] = await Promise.all([
		d.query<Hashed<StoredSpan>>(sql`
			SELECT ${SPAN_COLUMNS}, toString(${SPAN_ID}) AS RowHash FROM otel_traces
			WHERE ${spansOf(day)} AND ${inChunk(chunks, i)} ORDER BY TraceId, Timestamp, SpanId`),
		d.query<Hashed<StoredLog>>(sql`
			SELECT ${LOG_COLUMNS}, toString(${LOG_ID}) AS RowHash FROM otel_logs
			WHERE ${logsOf(day)} AND ${inChunk(chunks, i)} ORDER BY TraceId, Timestamp`)
	]);
	return {
		rows: [...group(spans, 'span', itemFromSpan, (r) => r.SpanAttributes), ...group(logs, 'log', itemFromLog, (r) => r.LogAttributes)],
		read: spans.length + logs.length
	};
}

/**
 * Interpret the day with `rules` (one trace memory for the day: span links reach traces of earlier
 * chunks) and write the changed attribute maps. Returns how many rows change (a row stored twice
 * changes: it is stored once afterwards).
 */
export async function interpretDay(
	d: Db,
	day: Day,
	rules: CompiledRule[],
	chunks: number,
	onRead: (rows: number) => void | Promise<void>,
	/** the job's id: a replicated staging table must not drop a chunk as a repeat of an earlier job's */
	job: string
): Promise<{ changed: number }> {
	const memory = new TraceMemory();
	let changed = 0;
	for (let i = 0; i < chunks; i++) {
		const { rows, read } = await readChunk(d, day, chunks, i);
		const derived = interpretBatch(rows.map((r) => r.item), rules, memory);
		const out: Record<string, unknown>[] = [];
		rows.forEach((r, k) => {
			const next = rewrittenAttributes(r.item.attrs, derivedMembers(derived[k]));
			if (r.stored.length === 1 && sameMap(next, r.stored[0])) return;
			out.push({ Day: day.day, Signal: r.signal, Chunk: i, Late: 0, RowHash: r.hash, Attributes: next });
		});
		changed += out.length;
		if (out.length) {
			const body = Buffer.from(out.map((r) => JSON.stringify(r)).join('\n'));
			await d.insertRaw('reinterpret_rows', body, { format: 'JSONEachRow', dedupToken: `reinterpret:${job}:${day.day}:${i}` });
		}
		await onRead(read);
	}
	return { changed };
}

/** How many chunks a day of `rows` rows is read in. */
export const chunksFor = (rows: number) => Math.max(1, Math.ceil(rows / CHUNK_ROWS));
