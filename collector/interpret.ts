/**
 * The interpretation layer in the decode pass: the decoders collect what the rules read (sink.items),
 * the rule set derives each row's facts (src/lib/server/interpret), and the derived ones are
 * written into the row's attribute map as `integration.*` attributes beside what the client sent,
 * with `syncscope.derived` naming the rule behind each. Explicit attributes are never replaced.
 */
import { interpretBatch, TraceMemory } from '../src/lib/server/interpret/batch';
import { ATTR_PREFIX, DERIVED_ATTR, type Derived } from '../src/lib/server/interpret/facts';
import { activeRules, type ActiveRules } from '../src/lib/server/interpret/ruleset';
import { AttributeCapture } from './signals/proto-attributes';
import { q, type RowSink } from './signals/rows';

/** `"integration.<fact>":` per fact name */
const MEMBER_KEYS = new Map<string, string>();

/** The attribute members a row gains: derived facts and their provenance ('' when none). */
export function derivedMembers(d: Derived): string {
	let members = '';
	let by = '';
	for (const f in d.facts) {
		const rule = d.by[f];
		if (rule === 'explicit') continue;
		let key = MEMBER_KEYS.get(f);
		if (key === undefined) MEMBER_KEYS.set(f, (key = q(ATTR_PREFIX + f) + ':'));
		members += (members ? ',' : '') + key + q(d.facts[f]);
		by += (by ? ',' : '') + f + '=' + rule;
	}
	return members ? members + ',' + q(DERIVED_ATTR) + ':' + q(by) : '';
}

export class Interpreter {
	readonly memory = new TraceMemory();
	private rules: ActiveRules | undefined;
	private cachedCapture: AttributeCapture | null = null;

	/** What the decoders should collect under the rule set in use (null: no rule set loaded). */
	capture(): AttributeCapture | null {
		const rules = activeRules();
		if (!rules) return null;
		if (rules !== this.rules) {
			this.rules = rules;
			this.cachedCapture = new AttributeCapture(rules.attributes, rules.events);
		}
		return this.cachedCapture;
	}

	/** Derive the facts of a decoded request and write them into its rows. */
	apply(sink: RowSink): void {
		const rules = this.rules;
		if (!rules || sink.items.length === 0) return;
		const derived = interpretBatch(sink.items, rules.compiled, this.memory);
		sink.insertMembers(derived.map(derivedMembers));
	}
}
