/**
 * One tagged template for parameterised ClickHouse SQL. Every value becomes a server-side
 * `{pN:Type}` parameter; its type is spelled at the call site:
 *
 *   sql`SELECT * FROM otel_traces WHERE TraceId = ${{ String: id }} LIMIT ${{ UInt32: n }}`
 *
 * Nested `sql` fragments compose; `ident()` inlines a checked identifier. Anything else is refused,
 * so a value can never be concatenated into SQL text by accident.
 */
export class Sql {
	constructor(
		readonly text: string,
		readonly params: Readonly<Record<string, unknown>>
	) {}
}

class Ident {
	constructor(readonly name: string) {}
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const TYPE = /^[A-Za-z][A-Za-z0-9]*(\([A-Za-z0-9, ()'_]*\))?$/;

/** A table or column name, validated and quoted. */
export function ident(name: string): Ident {
	if (!IDENT.test(name)) throw new TypeError(`invalid SQL identifier: ${name}`);
	return new Ident(name);
}

/** A fixed SQL fragment written by us (never user input). */
export function raw(text: string): Sql {
	return new Sql(text, {});
}

/** Join fragments with a separator (e.g. AND-ed filters). */
export function join(parts: Sql[], separator: string): Sql {
	if (parts.length === 0) return raw('');
	let out = parts[0];
	for (const p of parts.slice(1)) out = sql`${out}${raw(separator)}${p}`;
	return out;
}

let counter = 0;

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
	let text = strings[0];
	const params: Record<string, unknown> = {};
	values.forEach((v, i) => {
		if (v instanceof Sql) {
			let inner = v.text;
			for (const [name, value] of Object.entries(v.params)) {
				const fresh = `p${++counter}`;
				inner = inner.replaceAll(`{${name}:`, `{${fresh}:`);
				params[fresh] = value;
			}
			text += inner;
		} else if (v instanceof Ident) {
			text += v.name
				.split('.')
				.map((p) => `\`${p}\``)
				.join('.');
		} else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
			const [type, value] = Object.entries(v)[0];
			if (!TYPE.test(type)) throw new TypeError(`invalid ClickHouse type in sql template: ${type}`);
			const name = `p${++counter}`;
			params[name] = toParam(value);
			text += `{${name}:${type}}`;
		} else {
			throw new TypeError('sql`` values must be {Type: value}, sql`` fragments or ident()');
		}
		text += strings[i + 1];
	});
	if (counter > 1e9) counter = 0;
	return new Sql(text, params);
}

function toParam(value: unknown): unknown {
	if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
	if (Array.isArray(value)) return value.map(toParam);
	return value;
}
