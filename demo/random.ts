/**
 * Seeded randomness, so a demo (and the tests and screenshots built on it) is the same every run
 * with the same seed. sfc32 seeded through cyrb128: small, fast and well distributed.
 */
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

function cyrb128(str: string): [number, number, number, number] {
	let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
	for (let i = 0; i < str.length; i++) {
		const k = str.charCodeAt(i);
		h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
		h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
		h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
		h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
	}
	h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
	h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
	h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
	h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
	return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

export class Rng {
	private a: number;
	private b: number;
	private c: number;
	private d: number;

	constructor(seed: string) {
		[this.a, this.b, this.c, this.d] = cyrb128(seed);
		for (let i = 0; i < 15; i++) this.next();
	}

	/** A float in [0, 1). */
	next(): number {
		this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
		let t = (this.a + this.b) | 0;
		this.a = this.b ^ (this.b >>> 9);
		this.b = (this.c + (this.c << 3)) | 0;
		this.c = (this.c << 21) | (this.c >>> 11);
		this.d = (this.d + 1) | 0;
		t = (t + this.d) | 0;
		this.c = (this.c + t) | 0;
		return (t >>> 0) / 4294967296;
	}

	/** True with probability p. */
	chance(p: number): boolean {
		return this.next() < p;
	}

	/** An integer in [min, max]. */
	int(min: number, max: number): number {
		return min + Math.floor(this.next() * (max - min + 1));
	}

	/** A float in [min, max). */
	between(min: number, max: number): number {
		return min + this.next() * (max - min);
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.next() * items.length)];
	}

	/** Pick by weight: [[item, weight], …]. */
	weighted<T>(items: readonly (readonly [T, number])[]): T {
		const total = items.reduce((s, [, w]) => s + w, 0);
		let r = this.next() * total;
		for (const [item, w] of items) {
			r -= w;
			if (r < 0) return item;
		}
		return items[items.length - 1][0];
	}

	/** Log-normal around a median: latencies and order values have long right tails. */
	logNormal(median: number, sigma: number): number {
		const u = 1 - this.next();
		const v = this.next();
		const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
		return median * Math.exp(sigma * z);
	}

	hex(chars: number): string {
		let s = '';
		while (s.length < chars) s += Math.floor(this.next() * 0x10000).toString(16).padStart(4, '0');
		return s.slice(0, chars);
	}

	/** A version-4-shaped UUID, the way middleware platforms name messages. */
	uuid(): string {
		const h = this.hex(32);
		const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
		return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
	}
}

/** Trace and span IDs from a seeded stream (its own, so adding a span never changes business data). */
export class SeededIdGenerator implements IdGenerator {
	constructor(private rng: Rng) {}

	/** Continue from another stream (a live run must not repeat the IDs of an earlier run). */
	reseed(rng: Rng): void {
		this.rng = rng;
	}

	generateTraceId(): string {
		let id = this.rng.hex(32);
		while (/^0+$/.test(id)) id = this.rng.hex(32);
		return id;
	}

	generateSpanId(): string {
		let id = this.rng.hex(16);
		while (/^0+$/.test(id)) id = this.rng.hex(16);
		return id;
	}
}
