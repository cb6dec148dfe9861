/**
 * The auth clock. Session expiry and throttling read time through now(), so tests can move time
 * forward (idle and absolute timeouts) without waiting. Shared through globalThis: the SvelteKit
 * bundle and a test that drives it in-process hold separate copies of this module.
 */
const KEY = Symbol.for('syncscope.auth.clock');
type G = typeof globalThis & { [KEY]?: () => number };

export function now(): number {
	return (globalThis as G)[KEY]?.() ?? Date.now();
}

/** Install a clock (tests); call with no argument to go back to the wall clock. */
export function setClock(fn?: () => number): void {
	(globalThis as G)[KEY] = fn;
}

/** ClickHouse DateTime64(3) text for a millisecond timestamp (the sessions run in UTC). */
export function chTime(ms: number): string {
	return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
