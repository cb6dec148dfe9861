/**
 * Encodes JSONCompactEachRow text straight into a growing Buffer. Protobuf strings are copied
 * byte for byte from the request (escaping only `"`, `\` and control bytes), ids are hex-encoded
 * from their bytes: no intermediate JS strings for the bulk of a span, so decoding does little
 * allocation and no second UTF-8 pass.
 */
const HEX = Array.from({ length: 256 }, (_, i) => [
	'0123456789abcdef'.charCodeAt(i >> 4),
	'0123456789abcdef'.charCodeAt(i & 15)
]);
const HEX_HI = Uint8Array.from(HEX.map((h) => h[0]));
const HEX_LO = Uint8Array.from(HEX.map((h) => h[1]));
/** 1 where a byte must be escaped inside a JSON string */
const NEEDS_ESCAPE = new Uint8Array(256);
for (let i = 0; i < 0x20; i++) NEEDS_ESCAPE[i] = 1;
NEEDS_ESCAPE[0x22] = 1;
NEEDS_ESCAPE[0x5c] = 1;

type Utf8Buffer = Buffer & { utf8Write(s: string, offset: number, length?: number): number };

export class RowWriter {
	buf: Buffer;
	pos = 0;
	rows = 0;

	constructor(initial = 64 * 1024) {
		this.buf = Buffer.allocUnsafe(initial);
	}

	/** Make room for n more bytes. */
	ensure(n: number): void {
		if (this.pos + n <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < this.pos + n) size *= 2;
		const next = Buffer.allocUnsafe(size);
		this.buf.copy(next, 0, 0, this.pos);
		this.buf = next;
	}

	/** ASCII text we produce ourselves (punctuation, numbers, enum names): no escaping. */
	ascii(s: string): void {
		const n = s.length;
		this.ensure(n);
		const b = this.buf;
		let p = this.pos;
		for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
		this.pos = p;
	}

	byte(c: number): void {
		this.ensure(1);
		this.buf[this.pos++] = c;
	}

	/** A JSON string literal from UTF-8 bytes of the request. */
	jsonBytes(src: Buffer, start: number, end: number): void {
		this.ensure((end - start) * 6 + 2);
		const b = this.buf;
		let p = this.pos;
		b[p++] = 0x22;
		for (let i = start; i < end; i++) {
			const c = src[i];
			if (NEEDS_ESCAPE[c] === 0) b[p++] = c;
			else if (c === 0x22 || c === 0x5c) {
				b[p++] = 0x5c;
				b[p++] = c;
			} else {
				// \u00XX for control bytes
				b[p++] = 0x5c;
				b[p++] = 0x75;
				b[p++] = 0x30;
				b[p++] = 0x30;
				b[p++] = HEX_HI[c];
				b[p++] = HEX_LO[c];
			}
		}
		b[p++] = 0x22;
		this.pos = p;
	}

	/** A JSON string literal from a JS string (rare: non-string AnyValues rendered as text). */
	jsonString(s: string): void {
		const lit = JSON.stringify(s);
		this.ensure(lit.length * 3);
		this.pos += (this.buf as Utf8Buffer).utf8Write(lit, this.pos);
	}

	/** `"<hex>"` of raw id bytes. */
	hexString(src: Buffer, start: number, end: number): void {
		this.ensure((end - start) * 2 + 2);
		const b = this.buf;
		let p = this.pos;
		b[p++] = 0x22;
		for (let i = start; i < end; i++) {
			const c = src[i];
			b[p++] = HEX_HI[c];
			b[p++] = HEX_LO[c];
		}
		b[p++] = 0x22;
		this.pos = p;
	}

	/** The encoded rows; copied out when most of the buffer is unused, so a queued batch does not pin it. */
	body(): Buffer {
		if (this.buf.length - this.pos > 1024 * 1024) return Buffer.from(this.buf.subarray(0, this.pos));
		return this.buf.subarray(0, this.pos);
	}
}

/** Lowercase hex of id bytes as a JS string (native: a JS loop of string appends makes garbage per byte). */
export function hex(src: Buffer, start: number, end: number): string {
	return start === end ? '' : src.toString('hex', start, end);
}

/** True when the id bytes are all zero (the exporter writes those ids as ''). */
export function allZero(src: Buffer, start: number, end: number): boolean {
	for (let i = start; i < end; i++) if (src[i] !== 0) return false;
	return true;
}
