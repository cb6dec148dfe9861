/**
 * Short strings that repeat from span to span (flow, step and system names, outcomes, span names,
 * "POST"), decoded once and found again by their bytes: hashing and comparing a few bytes in JS costs
 * less than the native decode and the new string it replaces. A fixed table, each slot holding the
 * last string that hashed there: a value seen once only displaces another, it never grows the table.
 */
const SLOTS = 4096;
/** longer texts are mostly unique (ids, messages): decoded without the table */
const MAX_BYTES = 32;

const lengths = new Uint8Array(SLOTS);
const bytes = new Uint8Array(SLOTS * MAX_BYTES);
const strings: string[] = new Array<string>(SLOTS).fill('');

/** The UTF-8 text at [s, e), the same string as last time when those bytes were seen recently. */
export function interned(b: Buffer, s: number, e: number): string {
	const n = e - s;
	if (n === 0) return '';
	if (n > MAX_BYTES) return b.toString('utf8', s, e);
	// FNV-1a
	let h = 0x811c9dc5;
	for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
	const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
	const at = slot * MAX_BYTES;
	if (lengths[slot] === n) {
		let i = 0;
		while (i < n && bytes[at + i] === b[s + i]) i++;
		if (i === n) return strings[slot];
	}
	const text = b.toString('utf8', s, e);
	lengths[slot] = n;
	for (let i = 0; i < n; i++) bytes[at + i] = b[s + i];
	strings[slot] = text;
	return text;
}
