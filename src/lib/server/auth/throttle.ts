/**
 * Sign-in throttling and the sign-in log. Every attempt is recorded. Throttling slows an attacker
 * without locking the real user out:
 *  - per email + address: after FREE_FAILURES failures since the last success, each further attempt
 *    waits 2^(n-FREE_FAILURES) seconds (capped at MAX_DELAY_MS) after the previous failure, and only
 *    one such attempt is checked at a time. Failures age out after WINDOW_MS. The real user on
 *    another network is unaffected; on the same network they wait seconds, never forever.
 *  - per address: at most IP_BUDGET failed attempts per WINDOW_MS across all emails (password
 *    spraying). Over the budget the address is refused, except for an account that signed in from
 *    this address within KNOWN_ADDRESS_MS and has failed from it since never: its owner, behind the
 *    same proxy or NAT as an attacker, still gets in (an attacker gets at most one guess per such
 *    account until the address is back under budget).
 * Throttled attempts are logged but not counted as failures, so waiting always ends.
 *
 * Why counters in memory: argon2 takes tens of milliseconds, so "read the failures, verify, write
 * the failure" lets every request of a concurrent burst read the same count. Here an attempt
 * reserves its slot (check and count in one synchronous step of the event loop) BEFORE the password
 * is verified, and settles it afterwards. ClickHouse has no atomic counter to do this across
 * processes: a key's counters are seeded from the sign-in log the first time this process sees it
 * (so a restart does not reset an attacker's count), then kept here. With several consoles (server
 * mode) each enforces the limits on its own: a burst spread over N consoles gets at most N × the
 * budgets (docs/operations.md, "Sign-in throttling").
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';

export const FREE_FAILURES = 3;
export const MAX_DELAY_MS = 60_000;
export const WINDOW_MS = 15 * 60_000;
export const IP_BUDGET = 50;
/** a successful sign-in from an address vouches for that account there (over the address budget) this long */
export const KNOWN_ADDRESS_MS = 30 * 86_400_000;
/** what a refusal caused by attempts still being checked asks the client to wait */
const IN_FLIGHT_WAIT_MS = 1000;

/** sso / sso_refused: single sign-on (auth/oidc/); local_off: a right password for an account that may not use one */
export type AttemptReason = 'ok' | 'bad_credentials' | 'disabled' | 'throttled' | 'malformed' | 'sso' | 'sso_refused' | 'local_off';

export async function recordAttempt(a: { email: string; ip: string; reason: AttemptReason; userAgent?: string }): Promise<void> {
	await db().insertRows('sign_in_attempts', [
		{
			time: chTime(now()),
			email: a.email.slice(0, 320),
			ip: a.ip,
			success: a.reason === 'ok' || a.reason === 'sso' ? 1 : 0,
			reason: a.reason,
			user_agent: (a.userAgent ?? '').slice(0, 300)
		}
	]);
}

export function delayFor(failures: number): number {
	if (failures < FREE_FAILURES) return 0;
	return Math.min(1000 * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
}

interface PairState {
	/** failure times (ascending) since the last success, within WINDOW_MS */
	failures: number[];
	/** attempts admitted and not settled yet: counted as failures until they settle */
	pending: number;
	/** last successful sign-in of this account from this address (0: none known) */
	lastSuccess: number;
	touched: number;
}
interface AddressState {
	failures: number[];
	pending: number;
	touched: number;
}
interface Store {
	pairs: Map<string, PairState>;
	addresses: Map<string, AddressState>;
	seeding: Map<string, Promise<void>>;
	swept: number;
}

// Shared through globalThis like the clock: the SvelteKit bundle and a test driving it in-process
// hold separate copies of this module, and both must see one set of counters.
const KEY = Symbol.for('syncscope.auth.throttle');
type G = typeof globalThis & { [KEY]?: Store };
function store(): Store {
	return ((globalThis as G)[KEY] ??= { pairs: new Map(), addresses: new Map(), seeding: new Map(), swept: 0 });
}

/** Forget every counter (tests that start a fresh database in the same process). */
export function resetThrottle(): void {
	delete (globalThis as G)[KEY];
}

const pairKey = (email: string, ip: string) => `${email}\n${ip}`;
const MAX_KEPT = 64; // more failures than this never change a decision (the delay caps long before)

function keepRecent(times: number[], since: number): void {
	let drop = 0;
	while (drop < times.length && times[drop] <= since) drop++;
	if (times.length - drop > MAX_KEPT) drop = times.length - MAX_KEPT;
	if (drop) times.splice(0, drop);
}

/** Load a key's counters from the sign-in log once; concurrent first attempts share the load. */
function seeded(key: string, load: () => Promise<void>): Promise<void> {
	const s = store();
	let p = s.seeding.get(key);
	if (!p) {
		p = load().catch((e) => {
			s.seeding.delete(key); // a failed load is retried by the next attempt
			throw e;
		});
		s.seeding.set(key, p);
	}
	return p;
}

async function seedPair(email: string, ip: string): Promise<void> {
	const t = now();
	await seeded(`p:${pairKey(email, ip)}`, async () => {
		const rows = await db().query<{ lastOk: number; fails: number[] }>(sql`
			SELECT toUnixTimestamp64Milli(maxIf(time, success = 1)) AS lastOk,
			       arraySort(groupArrayIf(toUnixTimestamp64Milli(time), success = 0 AND time > ${{ 'DateTime64(3)': chTime(t - WINDOW_MS) }})) AS fails
			FROM sign_in_attempts
			WHERE email = ${{ String: email }} AND ip = ${{ String: ip }}
			  AND time > ${{ 'DateTime64(3)': chTime(t - KNOWN_ADDRESS_MS) }} AND reason IN ('ok', 'bad_credentials', 'disabled')`);
		const lastOk = Number(rows[0]?.lastOk ?? 0);
		const failures = (rows[0]?.fails ?? []).map(Number).filter((f) => f > lastOk);
		store().pairs.set(pairKey(email, ip), { failures, pending: 0, lastSuccess: lastOk, touched: t });
	});
}

async function seedAddress(ip: string): Promise<void> {
	const t = now();
	await seeded(`a:${ip}`, async () => {
		const rows = await db().query<{ t: number }>(sql`
			SELECT toUnixTimestamp64Milli(time) AS t FROM sign_in_attempts
			WHERE ip = ${{ String: ip }} AND time > ${{ 'DateTime64(3)': chTime(t - WINDOW_MS) }}
			  AND reason IN ('bad_credentials', 'disabled')
			ORDER BY time DESC LIMIT ${{ UInt32: MAX_KEPT }}`);
		store().addresses.set(ip, { failures: rows.map((r) => Number(r.t)).reverse(), pending: 0, touched: t });
	});
}

/** Drop counters nobody has used for a window (they are re-seeded from the log if needed). */
function sweep(t: number, ...inUse: object[]): void {
	const s = store();
	if (t - s.swept < 60_000) return;
	s.swept = t;
	for (const [k, v] of s.pairs) {
		if (v.pending === 0 && t - v.touched > WINDOW_MS && !inUse.includes(v)) {
			s.pairs.delete(k);
			s.seeding.delete(`p:${k}`);
		}
	}
	for (const [k, v] of s.addresses) {
		if (v.pending === 0 && t - v.touched > WINDOW_MS && !inUse.includes(v)) {
			s.addresses.delete(k);
			s.seeding.delete(`a:${k}`);
		}
	}
}

export type Outcome = 'ok' | 'failed';

/** An admitted attempt: settle it exactly once with what the password check found. */
export interface Reservation {
	settle(outcome: Outcome): void;
	/** the check could not finish (store error): free the slot without counting anything */
	release(): void;
}

export type Admission = { ok: true; reservation: Reservation } | { ok: false; retryAfterMs: number };

/**
 * Check and take one attempt for email + address, before the password is verified. The decision
 * and the counting happen in one synchronous step, so concurrent attempts cannot all pass.
 */
export async function reserveAttempt(email: string, ip: string): Promise<Admission> {
	let pair: PairState | undefined;
	let address: AddressState | undefined;
	while (!pair || !address) {
		await Promise.all([seedPair(email, ip), seedAddress(ip)]);
		// ---- from here to the return: no await (this is what makes the reservation atomic) ----
		// (a sweep between the load and now may have dropped an idle key: then load it again)
		pair = store().pairs.get(pairKey(email, ip));
		address = store().addresses.get(ip);
	}
	const t = now();
	sweep(t, pair, address);
	pair.touched = address.touched = t;
	keepRecent(pair.failures, t - WINDOW_MS);
	keepRecent(address.failures, t - WINDOW_MS);

	const counted = pair.failures.length + pair.pending;
	if (counted >= FREE_FAILURES) {
		if (pair.pending > 0) return { ok: false, retryAfterMs: Math.max(delayFor(counted), IN_FLIGHT_WAIT_MS) };
		const wait = pair.failures[pair.failures.length - 1] + delayFor(counted) - t;
		if (wait > 0) return { ok: false, retryAfterMs: wait };
	}
	if (address.failures.length + address.pending >= IP_BUDGET) {
		const vouched = pair.lastSuccess > t - KNOWN_ADDRESS_MS && pair.failures.length === 0 && pair.pending === 0;
		if (!vouched) {
			const over = address.failures.length - IP_BUDGET;
			const wait = over >= 0 ? address.failures[over] + WINDOW_MS - t : IN_FLIGHT_WAIT_MS;
			return { ok: false, retryAfterMs: Math.max(wait, 1) };
		}
	}
	pair.pending++;
	address.pending++;

	let open = true;
	const close = () => {
		if (!open) return false;
		open = false;
		pair.pending--;
		address.pending--;
		return true;
	};
	return {
		ok: true,
		reservation: {
			settle(outcome) {
				if (!close()) return;
				const at = now();
				pair.touched = address.touched = at;
				if (outcome === 'ok') {
					pair.failures.length = 0;
					pair.lastSuccess = at;
				} else {
					pair.failures.push(at);
					address.failures.push(at);
					keepRecent(pair.failures, at - WINDOW_MS);
					keepRecent(address.failures, at - WINDOW_MS);
				}
			},
			release() {
				close();
			}
		}
	};
}

export interface AttemptRow {
	time: string;
	email: string;
	ip: string;
	success: number;
	reason: AttemptReason;
}

/** The most recent sign-in attempts (admin view). */
export async function recentAttempts(limit = 50): Promise<AttemptRow[]> {
	return db().query<AttemptRow>(sql`
		SELECT toString(time) AS time, email, ip, success, reason FROM sign_in_attempts
		ORDER BY time DESC LIMIT ${{ UInt32: limit }}`);
}
