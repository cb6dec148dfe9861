/**
 * The interpretation layer's view of a protobuf span or log record (Item), built without decoding
 * what nobody reads: the captured attributes are noted as key and value offsets in the request and
 * decoded on first read, span ids are hex-encoded when asked for. A span that states its facts
 * (integration.*) is mostly never read beyond the facts the trace shares.
 */
import type { Item, LocatedAttrs } from '../../src/lib/server/interpret/facts';
import { anyValueText } from './any-value';
import { interned } from './intern';
import { allZero, hex } from './row-writer';
import { Reader } from './wire';

/** shared by the items without events or links (never mutated: the decoder assigns fresh arrays) */
const NO_EVENTS: Item['events'] = Object.freeze([]) as unknown as Item['events'];
const NO_LINKS: Item['links'] = Object.freeze([]) as unknown as Item['links'];
const NO_KEYS: readonly string[] = Object.freeze([]);

export class LocatedItem implements Item, LocatedAttrs {
	name = '';
	kind = '';
	status = '';
	statusMessage = '';
	events = NO_EVENTS;
	links = NO_LINKS;
	body = '';
	eventName = '';
	readonly located: LocatedAttrs = this;
	factMask = 0;
	keyAttrs = NO_KEYS as string[];
	/** captured keys in wire order; the value of keys[i] is at buf[at[2i], at[2i+1]) (start -1: none) */
	private readonly keys: string[] = [];
	private readonly at: number[] = [];
	private values: string[] | null = null;
	private sidS = 0;
	private sidE = 0;
	private parS = 0;
	private parE = 0;
	private sid: string | null = null;
	private par: string | null = null;

	constructor(
		readonly buf: Buffer,
		readonly signal: 'span' | 'log',
		readonly traceId: string,
		readonly service: string,
		readonly scope: string,
		readonly resource: Record<string, string>
	) {}

	/** Where the span id and parent span id are (an empty or all-zero id reads as ''). */
	ids(sidS: number, sidE: number, parS: number, parE: number): void {
		this.sidS = sidS;
		this.sidE = sidE;
		this.parS = parS;
		this.parE = parE;
	}

	get spanId(): string {
		return (this.sid ??= this.sidE === this.sidS || allZero(this.buf, this.sidS, this.sidE) ? '' : hex(this.buf, this.sidS, this.sidE));
	}

	get parentSpanId(): string {
		return (this.par ??= this.parE === this.parS || allZero(this.buf, this.parS, this.parE) ? '' : hex(this.buf, this.parS, this.parE));
	}

	/** Note a captured attribute: `fact` is its index in FACTS (-1: none), `isKey` an integration.key.* one. */
	add(key: string, fact: number, isKey: boolean, valS: number, valE: number): void {
		this.keys.push(key);
		this.at.push(valS, valE);
		if (fact >= 0) this.factMask |= 1 << fact;
		else if (isKey) (this.keyAttrs === NO_KEYS ? (this.keyAttrs = []) : this.keyAttrs).push(key);
	}

	get(key: string): string | undefined {
		const keys = this.keys;
		for (let i = keys.length - 1; i >= 0; i--) if (keys[i] === key) return this.value(i);
		return undefined;
	}

	/** Every captured attribute as text (for readers of the plain Item shape). */
	get attrs(): Record<string, string> {
		const out: Record<string, string> = {};
		for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = this.value(i);
		return out;
	}

	private value(i: number): string {
		const values = (this.values ??= new Array<string>(this.keys.length));
		const known = values[i];
		if (known !== undefined) return known;
		const b = this.buf;
		const s = this.at[2 * i];
		const e = this.at[2 * i + 1];
		let v: string;
		if (s < 0) v = '';
		// AnyValue holding only string_value with a one-byte length (most values)
		else if (b[s] === 0x0a && s + 1 < e && b[s + 1] < 0x80 && s + 2 + b[s + 1] === e) v = interned(b, s + 2, e);
		else {
			const r = new Reader(b, s + 1, e);
			// AnyValue holding only int_value: its decimal text
			if (b[s] === 0x18 && (v = r.int64Text()) && r.pos === e) return (values[i] = v);
			r.pos = s;
			v = anyValueText(r, e);
		}
		return (values[i] = v);
	}
}
