/**
 * A minimal protobuf wire-format reader for the OTLP messages we decode by hand: no object tree,
 * no reflection; callers read fields in a loop and turn them straight into row text.
 * https://protobuf.dev/programming-guides/encoding/
 */
import { DecodeError } from '../errors';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

export class Reader {
	pos: number;
	constructor(
		readonly buf: Buffer,
		start: number,
		public end: number
	) {
		this.pos = start;
	}

	/** The next tag as field number * 8 + wire type; 0 at the end of the message. */
	tag(): number {
		if (this.pos >= this.end) return 0;
		const t = this.uint32();
		if (t >>> 3 === 0) throw new DecodeError('invalid field number 0');
		return t;
	}

	/** A varint that must fit in 32 bits (tags, lengths, enums, counts). */
	uint32(): number {
		const b = this.buf;
		let result = 0;
		let shift = 0;
		while (shift < 35) {
			if (this.pos >= this.end) throw new DecodeError('truncated varint');
			const byte = b[this.pos++];
			result += (byte & 0x7f) * 2 ** shift;
			if (byte < 0x80) return result > 0xffffffff ? result % 0x100000000 : result;
			shift += 7;
		}
		// Longer varints (negative int32 enums are sign-extended to 10 bytes): keep the low 32 bits.
		for (let i = 0; i < 5; i++) {
			if (this.pos >= this.end) throw new DecodeError('truncated varint');
			if (b[this.pos++] < 0x80) return result % 0x100000000;
		}
		throw new DecodeError('varint too long');
	}

	/** An int64 varint as exact decimal text (two's complement for negatives). */
	int64Text(): string {
		const b = this.buf;
		const start = this.pos;
		let result = 0;
		let shift = 0;
		for (let i = 0; i < 10; i++) {
			if (this.pos >= this.end) throw new DecodeError('truncated varint');
			const byte = b[this.pos++];
			if (shift < 49) result += (byte & 0x7f) * 2 ** shift;
			if (byte < 0x80) {
				if (i < 7) return String(result); // < 2^49: exact as a double
				return bigVarint(b, start, this.pos).toString();
			}
			shift += 7;
		}
		throw new DecodeError('varint too long');
	}

	bool(): boolean {
		return this.uint32() !== 0;
	}

	/** fixed64 as an unsigned BigInt (timestamps in nanoseconds). */
	fixed64(): bigint {
		if (this.pos + 8 > this.end) throw new DecodeError('truncated fixed64');
		const v = this.buf.readBigUInt64LE(this.pos);
		this.pos += 8;
		return v;
	}

	double(): number {
		if (this.pos + 8 > this.end) throw new DecodeError('truncated double');
		const v = this.buf.readDoubleLE(this.pos);
		this.pos += 8;
		return v;
	}

	fixed32(): number {
		if (this.pos + 4 > this.end) throw new DecodeError('truncated fixed32');
		const v = this.buf.readUInt32LE(this.pos);
		this.pos += 4;
		return v;
	}

	/** Length of a length-delimited field; pos is left at its first byte. */
	len(): number {
		const n = this.uint32();
		if (n > this.end - this.pos) throw new DecodeError('length-delimited field overruns its message');
		return n;
	}

	string(): string {
		const n = this.len();
		const s = (this.buf as Utf8Buffer).utf8Slice(this.pos, this.pos + n);
		this.pos += n;
		return s;
	}

	/** Bytes as lowercase hex (trace and span ids) and their length. */
	hex(): string {
		const n = this.len();
		const s = this.buf.toString('hex', this.pos, this.pos + n);
		this.pos += n;
		return s;
	}

	bytes(): Buffer {
		const n = this.len();
		const s = this.buf.subarray(this.pos, this.pos + n);
		this.pos += n;
		return s;
	}

	/** A sub-message: returns its end offset; the caller reads up to it, then sets pos = end. */
	sub(): number {
		const n = this.len();
		return this.pos + n;
	}

	/** Skip a field we do not use (unknown fields must be ignored). */
	skip(tag: number): void {
		switch (tag & 7) {
			case WIRE_VARINT:
				this.skipVarint();
				return;
			case WIRE_I64:
				if (this.pos + 8 > this.end) throw new DecodeError('truncated fixed64');
				this.pos += 8;
				return;
			case WIRE_LEN: {
				const n = this.len(); // read first: `pos += len()` would add to the old pos
				this.pos += n;
				return;
			}
			case WIRE_I32:
				if (this.pos + 4 > this.end) throw new DecodeError('truncated fixed32');
				this.pos += 4;
				return;
			case 3: // group start: deprecated, not used by OTLP; skip to the matching end group
				this.skipGroup(tag >>> 3);
				return;
			default:
				throw new DecodeError(`invalid wire type ${tag & 7}`);
		}
	}

	private skipVarint(): void {
		for (let i = 0; i < 10; i++) {
			if (this.pos >= this.end) throw new DecodeError('truncated varint');
			if (this.buf[this.pos++] < 0x80) return;
		}
		throw new DecodeError('varint too long');
	}

	private skipGroup(field: number): void {
		for (;;) {
			const t = this.tag();
			if (t === 0) throw new DecodeError('unterminated group');
			if ((t & 7) === 4) {
				if (t >>> 3 !== field) throw new DecodeError('mismatched end group');
				return;
			}
			this.skip(t);
		}
	}
}

function bigVarint(b: Buffer, start: number, end: number): bigint {
	let v = 0n;
	for (let i = end - 1; i >= start; i--) v = (v << 7n) | BigInt(b[i] & 0x7f);
	return BigInt.asIntN(64, v);
}

/** Throw if a known field arrives with the wrong wire type (a malformed message, not an unknown field). */
export function expectWire(tag: number, wire: number, what: string): void {
	if ((tag & 7) !== wire) throw new DecodeError(`${what}: wire type ${tag & 7}, expected ${wire}`);
}
