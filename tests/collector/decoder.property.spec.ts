/**
 * Property tests of the hand-written decoders: on any input they either decode or throw their own
 * DecodeError (never a TypeError/RangeError that would become a 503), and valid requests round-trip:
 * the protobuf and OTLP/JSON encodings of the same request give the same rows, with the model's values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../collector/errors';
import { decode } from '../../collector/ingest';
import { decodeLogsJson, decodeLogsProto, LOG_COLUMNS } from '../../collector/signals/logs';
import { decodeTracesJson, decodeTracesProto, TRACE_COLUMNS } from '../../collector/signals/traces';
import { encodeLogs, encodeTraces, logsJson, sampleTraces, tracesJson, type TAny, type TKV, type TLog, type TResourceLogs, type TResourceSpans, type TSpan } from '../helpers/otlp-encode';

function onlyDecodeErrors(f: () => unknown): boolean {
	try {
		f();
		return true;
	} catch (e) {
		if (e instanceof DecodeError) return true;
		throw e;
	}
}

const nonZero = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).filter((a) => a.some((b) => b !== 0)).map((a) => Buffer.from(a));
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0001', '\u001f', 'a', 'é', '😀'), maxLength: 8 }));

const anyValue: fc.Arbitrary<TAny> = fc.letrec<{ v: TAny }>((tie) => ({
	v: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		text.map((s) => ({ s })),
		fc.boolean().map((b) => ({ b })),
		fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ i })),
		fc.double().map((d) => ({ d })),
		fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytes: Buffer.from(b) })),
		fc.array(tie('v'), { maxLength: 3 }).map((arr) => ({ arr })),
		fc.array(fc.record({ key: text, value: tie('v') }), { maxLength: 3 }).map((kv) => ({ kv }))
	)
})).v;
const kvs = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 4 }).map((l): TKV[] => {
	// Map(String, String) keeps one value per key: the model uses distinct keys
	const seen = new Set<string>();
	return l.filter((kv) => !seen.has(kv.key) && seen.add(kv.key));
});
const time = fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_900_000_000_000_000_000n });

const span: fc.Arbitrary<TSpan> = fc
	.record({
		traceId: nonZero(16),
		spanId: nonZero(8),
		parentSpanId: fc.option(nonZero(8), { nil: undefined }),
		traceState: text,
		name: text,
		kind: fc.integer({ min: 0, max: 5 }),
		start: time,
		duration: fc.bigInt({ min: 0n, max: 10n ** 12n }),
		attributes: kvs,
		events: fc.array(fc.record({ time, name: text, attributes: kvs }), { maxLength: 2 }),
		links: fc.array(fc.record({ traceId: nonZero(16), spanId: nonZero(8), traceState: text, attributes: kvs }), { maxLength: 2 }),
		status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text })
	})
	.map(({ duration, ...s }) => ({ ...s, end: s.start + duration }));

const request: fc.Arbitrary<TResourceSpans[]> = fc.array(
	fc.record({
		resource: kvs,
		scopes: fc.array(fc.record({ name: text, version: text, spans: fc.array(span, { maxLength: 3 }) }), { maxLength: 2 })
	}),
	{ maxLength: 2 }
);

describe('decoders never throw anything but DecodeError', () => {
	it('on random bytes (traces and logs)', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
				const b = Buffer.from(a);
				return onlyDecodeErrors(() => decodeTracesProto(b)) && onlyDecodeErrors(() => decodeLogsProto(b));
			}),
			{ numRuns: 2000 }
		);
	});

	it('on truncated and bit-flipped valid requests', () => {
		const valid = encodeTraces(sampleTraces(3));
		fc.assert(
			fc.property(fc.nat({ max: valid.length }), fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (cut, flips) => {
				const b = Buffer.from(valid.subarray(0, cut));
				for (const [i, v] of flips) if (i < b.length) b[i] = v;
				return onlyDecodeErrors(() => decodeTracesProto(b)) && onlyDecodeErrors(() => decodeLogsProto(b));
			}),
			{ numRuns: 2000 }
		);
	});

	it('on any JSON value, for both signals', () => {
		fc.assert(
			fc.property(fc.jsonValue(), fc.constantFrom('traces' as const, 'logs' as const), (v, signal) =>
				onlyDecodeErrors(() => decode(signal, 'json', Buffer.from(JSON.stringify(v) ?? 'null')))
			),
			{ numRuns: 1000 }
		);
	});

	it('on OTLP-shaped JSON with wrong types inside', () => {
		const leaf = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
		const shaped = fc.record({
			resourceSpans: fc.array(
				fc.record({
					resource: leaf,
					scopeSpans: fc.array(
						fc.record({
							scope: leaf,
							spans: fc.array(fc.dictionary(fc.constantFrom('traceId', 'spanId', 'name', 'kind', 'startTimeUnixNano', 'attributes', 'events', 'links', 'status'), leaf), { maxLength: 3 })
						}),
						{ maxLength: 2 }
					)
				}),
				{ maxLength: 2 }
			)
		});
		fc.assert(fc.property(shaped, (v) => onlyDecodeErrors(() => decodeTracesJson(v))), { numRuns: 500 });
	});
});

describe('valid requests round-trip', () => {
	it('protobuf and OTLP/JSON of the same request give the same rows, with the model values', () => {
		fc.assert(
			fc.property(request, (req) => {
				const fromProto = decodeTracesProto(encodeTraces(req));
				const fromJson = decodeTracesJson(JSON.parse(JSON.stringify(tracesJson(req))));
				expect(fromProto.rejected).toBe(0);
				// the byte writer escapes control characters differently from JSON.stringify: compare values
				const parse = (body: Buffer) => body.toString().split('\n').filter(Boolean).map((r) => JSON.parse(r) as unknown[]);
				const rows = parse(fromProto.body());
				expect(rows).toEqual(parse(fromJson.body()));
				const spans = req.flatMap((rs) => rs.scopes.flatMap((s) => s.spans));
				expect(rows).toHaveLength(spans.length);
				expect(fromProto.count).toBe(spans.length);
				rows.forEach((row, i) => {
					const s = spans[i];
					const col = (name: (typeof TRACE_COLUMNS)[number]) => row[TRACE_COLUMNS.indexOf(name)];
					expect(row).toHaveLength(TRACE_COLUMNS.length);
					expect(col('TraceId')).toBe(s.traceId.toString('hex'));
					expect(col('SpanId')).toBe(s.spanId.toString('hex'));
					expect(col('SpanName')).toBe(s.name);
					expect(col('Timestamp')).toBe(s.start.toString());
					expect(BigInt(col('Duration') as number)).toBe(s.end - s.start);
					const attrs = col('SpanAttributes') as Record<string, string>;
					for (const kv of s.attributes ?? []) if ('s' in kv.value) expect(attrs[kv.key]).toBe(kv.value.s);
					for (const kv of s.attributes ?? []) if ('i' in kv.value) expect(attrs[kv.key]).toBe(kv.value.i.toString());
				});
			}),
			{ numRuns: 300 }
		);
	});
});

const logRecord: fc.Arbitrary<TLog> = fc.record({
	time,
	observed: time,
	severityNumber: fc.integer({ min: 0, max: 24 }),
	severityText: text,
	body: fc.option(anyValue, { nil: undefined }),
	// sometimes an `event.name` attribute, which EventName falls back to
	attributes: fc
		.tuple(kvs, fc.option(anyValue, { nil: undefined }))
		.map(([l, ev]) => (ev ? [...l.filter((kv) => kv.key !== 'event.name'), { key: 'event.name', value: ev }] : l)),
	flags: fc.integer({ min: 0, max: 255 }),
	traceId: fc.option(nonZero(16), { nil: undefined }),
	spanId: fc.option(nonZero(8), { nil: undefined }),
	eventName: text
});
const logsRequest: fc.Arbitrary<TResourceLogs[]> = fc.array(
	fc.record({
		resource: kvs,
		schemaUrl: text,
		scopes: fc.array(fc.record({ name: text, version: text, attributes: kvs, schemaUrl: text, logs: fc.array(logRecord, { maxLength: 3 }) }), { maxLength: 2 })
	}),
	{ maxLength: 2 }
);

describe('valid log requests round-trip', () => {
	it('protobuf and OTLP/JSON give the same rows, with the model values', () => {
		fc.assert(
			fc.property(logsRequest, (req) => {
				const fromProto = decodeLogsProto(encodeLogs(req));
				const fromJson = decodeLogsJson(JSON.parse(JSON.stringify(logsJson(req))));
				const parse = (body: Buffer) => body.toString().split('\n').filter(Boolean).map((r) => JSON.parse(r) as unknown[]);
				const rows = parse(fromProto.body());
				expect(rows).toEqual(parse(fromJson.body()));
				const logs = req.flatMap((rl) => rl.scopes.flatMap((s) => s.logs));
				expect(rows).toHaveLength(logs.length);
				rows.forEach((row, i) => {
					const l = logs[i];
					const col = (name: (typeof LOG_COLUMNS)[number]) => row[LOG_COLUMNS.indexOf(name)];
					expect(row).toHaveLength(LOG_COLUMNS.length);
					expect(col('Timestamp')).toBe(l.time!.toString());
					expect(col('TraceId')).toBe(l.traceId?.toString('hex') ?? '');
					expect(col('TraceFlags')).toBe(l.flags);
					expect(col('SeverityNumber')).toBe(l.severityNumber);
					if (l.body && 's' in l.body) expect(col('Body')).toBe(l.body.s);
					const eventAttr = l.attributes?.find((a) => a.key === 'event.name');
					if (l.eventName) expect(col('EventName')).toBe(l.eventName);
					else if (!eventAttr) expect(col('EventName')).toBe('');
					else if ('s' in eventAttr.value) expect(col('EventName')).toBe(eventAttr.value.s);
				});
			}),
			{ numRuns: 300 }
		);
	});
});
