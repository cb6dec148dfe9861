/**
 * The OTLP/JSON fixtures for rule design: a few whole traces out of a harness run, as one
 * ExportTraceServiceRequest, and a shape signature (span names, kinds, scopes, attribute keys and
 * value types) to tell when a committed fixture no longer matches what Node-RED emits.
 */
import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpSpan, OtlpTraces } from './otlp-receiver';

/** The spans of the given traces, regrouped into one resourceSpans per resource and one scopeSpans per scope. */
export function selectTraces(requests: readonly OtlpTraces[], traceIds: ReadonlySet<string>): OtlpTraces {
	const byResource = new Map<string, { rs: OtlpResourceSpans; scopes: Map<string, OtlpSpan[]> }>();
	for (const req of requests)
		for (const rs of req.resourceSpans) {
			const resourceKey = JSON.stringify(rs.resource ?? {});
			for (const ss of rs.scopeSpans ?? []) {
				const spans = (ss.spans ?? []).filter((s) => traceIds.has(s.traceId));
				if (spans.length === 0) continue;
				let entry = byResource.get(resourceKey);
				if (!entry) byResource.set(resourceKey, (entry = { rs, scopes: new Map() }));
				const scopeKey = JSON.stringify(ss.scope ?? {});
				entry.scopes.set(scopeKey, [...(entry.scopes.get(scopeKey) ?? []), ...spans]);
			}
		}
	return {
		resourceSpans: [...byResource.values()].map(({ rs, scopes }) => ({
			resource: rs.resource,
			scopeSpans: [...scopes].map(([scope, spans]) => ({ scope: JSON.parse(scope), spans })),
			...(rs.schemaUrl ? { schemaUrl: rs.schemaUrl } : {})
		}))
	};
}

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/**
 * One line per distinct span shape, sorted: "SERVER POST /orders [scope] key:type, …". The resource
 * is left out: which host.* and process.* keys its detectors find depends on the machine.
 */
export function shapeOf(traces: OtlpTraces): string[] {
	const lines = new Set<string>();
	for (const rs of traces.resourceSpans) {
		for (const ss of rs.scopeSpans ?? [])
			for (const span of ss.spans ?? [])
				lines.add(`${KIND_NAMES[span.kind ?? 0]} ${span.name} [${ss.scope?.name}] ${keyTypes(span.attributes)}`);
	}
	return [...lines].sort();
}

function keyTypes(kvs: OtlpKeyValue[] | undefined): string {
	return (kvs ?? [])
		.map((kv) => `${kv.key}:${typeOf(kv.value)}`)
		.sort()
		.join(', ');
}

function typeOf(v: OtlpAnyValue): string {
	const kind = Object.keys(v)[0] ?? 'empty';
	if ('arrayValue' in v) return `array<${[...new Set((v.arrayValue.values ?? []).map(typeOf))].join('|')}>`;
	return kind.replace(/Value$/, '');
}
