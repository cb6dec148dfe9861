/**
 * The business facts the interpretation layer derives, and the view of one span or log record its
 * rules read. A fact `flow` is stored as the contract attribute `integration.flow` (docs/contract.md):
 * explicit attributes are kept as sent, derived ones are added beside them, and
 * `syncscope.derived` records which rule derived which fact.
 */

/** Every fact a rule may set, in the contract's spelling without the `integration.` prefix. */
export const FACTS = [
	'flow',
	'step',
	'source',
	'target',
	'correlation_id',
	'message_id',
	'idempotency_key',
	'attempt',
	'outcome',
	'error.class',
	'error.code',
	'error.message',
	'amount',
	'currency',
	'partner',
	'event_time',
	'entity.type',
	'entity.id'
] as const;
export type FactName = (typeof FACTS)[number];

/** Further business keys (`sales_order`, `asn`, …) are facts `key.<name>`, attributes `integration.key.<name>`. */
export const KEY_PREFIX = 'key.';
export const ATTR_PREFIX = 'integration.';
/** The attribute of each fact of FACTS (same index). */
export const FACT_ATTRS: readonly string[] = FACTS.map((f) => ATTR_PREFIX + f);
/** The attribute that records provenance: `flow=rule-id,step=rule-id`. Incoming values are dropped. */
export const DERIVED_ATTR = 'syncscope.derived';

/** Facts that hold for a whole trace: a key seen on one span applies to the trace's other spans. */
export const TRACE_FACTS: readonly string[] = ['flow', 'correlation_id', 'entity.type', 'entity.id', 'partner', 'amount', 'currency'];

/** Outcomes of the contract, plus `relayed`: a failure passed on from a deeper failing span. */
export const OUTCOMES = ['success', 'failed', 'duplicate', 'rejected', 'relayed'] as const;

export const ERROR_CLASSES = ['transport', 'validation', 'business', 'auth', 'duplicate'] as const;

/** What the rules see of one span or log record. Attribute values are the stored text (arrays as JSON). */
export interface Item {
	signal: 'span' | 'log';
	traceId: string;
	spanId: string;
	parentSpanId: string;
	/** span name ('' for logs) */
	name: string;
	/** Unspecified | Internal | Server | Client | Producer | Consumer ('' for logs) */
	kind: string;
	/** Unset | Ok | Error ('' for logs) */
	status: string;
	statusMessage: string;
	service: string;
	scope: string;
	attrs: Record<string, string>;
	/**
	 * Items of the protobuf decoders: the captured attributes located in the request and decoded on
	 * first read (most are never read: a span that states its facts skips the rules that would).
	 * The rules read through attr(); `attrs` is then built on demand.
	 */
	located: LocatedAttrs | undefined;
	resource: Record<string, string>;
	/** span events (name and attributes); only `exception` events are collected on the hot path */
	events: { name: string; attrs: Record<string, string> }[];
	links: { traceId: string; spanId: string }[];
	/** log records: body text and event name */
	body: string;
	eventName: string;
}

/** Attributes located in a request, read one at a time. */
export interface LocatedAttrs {
	/** an attribute's text (the last one of a repeated key); undefined when absent */
	get(key: string): string | undefined;
	/** bit i set: the item carries the attribute of FACTS[i] (`integration.<fact>`) */
	readonly factMask: number;
	/** the `integration.key.*` attributes it carries, in wire order */
	readonly keyAttrs: readonly string[];
}

/** An attribute of an item as text; undefined when absent. */
export function attr(it: Item, key: string): string | undefined {
	const l = it.located;
	return l === undefined ? it.attrs[key] : l.get(key);
}

/**
 * Facts of one item: value and the rule that set it ('explicit' for an integration.* attribute).
 * Every fact is in `by`; for a protobuf item (`located`), an explicit fact the interpretation does
 * not read (engine.ts READ_EXPLICIT) is in `by` only: its value stays in the row as sent.
 */
export interface Derived {
	facts: Record<string, string>;
	by: Record<string, string>;
}

export function emptyItem(over: Partial<Item> = {}): Item {
	return {
		signal: 'span',
		traceId: '',
		spanId: '',
		parentSpanId: '',
		name: '',
		kind: '',
		status: '',
		statusMessage: '',
		service: '',
		scope: '',
		attrs: {},
		located: undefined,
		resource: {},
		events: [],
		links: [],
		body: '',
		eventName: '',
		...over
	};
}

/** The attribute name of a fact. */
export function factAttribute(fact: string): string {
	return ATTR_PREFIX + fact;
}
