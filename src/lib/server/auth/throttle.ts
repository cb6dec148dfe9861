/**
 * Sign-in throttling and the sign-in log. Every attempt is recorded. Throttling slows an attacker
 * without locking the real user out:
 *  - per email + IP: after FREE_FAILURES failures since the last success, each further attempt
 *    must wait 2^(n-FREE_FAILURES) seconds (capped) after the previous failure. The real user on
 *    another network is unaffected; on the same network they wait seconds, never forever.
 *  - per IP: at most IP_BUDGET failures per window across all emails (password spraying).
 * Throttled attempts are logged but not counted as failures, so waiting always ends.
 */
import { db, sql } from '../db';
import { chTime, now } from './clock';

export const FREE_FAILURES = 3;
export const MAX_DELAY_MS = 60_000;
export const WINDOW_MS = 15 * 60_000;
export const IP_BUDGET = 50;

export type AttemptReason = 'ok' | 'bad_credentials' | 'disabled' | 'throttled' | 'malformed';

export async function recordAttempt(a: { email: string; ip: string; reason: AttemptReason; userAgent?: string }): Promise<void> {
	await db().insertRows('sign_in_attempts', [
		{
			time: chTime(now()),
			email: a.email.slice(0, 320),
			ip: a.ip,
			success: a.reason === 'ok' ? 1 : 0,
			reason: a.reason,
			user_agent: (a.userAgent ?? '').slice(0, 300)
		}
	]);
}

export function delayFor(failures: number): number {
	if (failures < FREE_FAILURES) return 0;
	return Math.min(1000 * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
}

/** 0 if an attempt may go ahead now, else milliseconds to wait. */
export async function throttleWait(email: string, ip: string): Promise<number> {
	const t = now();
	const since = chTime(t - WINDOW_MS);
	const [pair, perIp] = await Promise.all([
		db().query<{ failures: number; lastFailure: number }>(sql`
			SELECT countIf(success = 0 AND time > lastOk) AS failures,
			       toUnixTimestamp64Milli(maxIf(time, success = 0)) AS lastFailure
			FROM (
				SELECT time, success,
				       max(if(success = 1, time, toDateTime64(0, 3))) OVER () AS lastOk
				FROM sign_in_attempts
				WHERE email = ${{ String: email }} AND ip = ${{ String: ip }}
				  AND time > ${{ 'DateTime64(3)': since }} AND reason IN ('ok', 'bad_credentials', 'disabled')
			)`),
		db().query<{ failures: number; oldest: number }>(sql`
			SELECT count() AS failures, toUnixTimestamp64Milli(min(time)) AS oldest
			FROM sign_in_attempts
			WHERE ip = ${{ String: ip }} AND time > ${{ 'DateTime64(3)': since }}
			  AND reason IN ('bad_credentials', 'disabled')`)
	]);
	const p = pair[0];
	let wait = 0;
	if (p && p.failures > 0) wait = Math.max(0, p.lastFailure + delayFor(p.failures) - t);
	const ipRow = perIp[0];
	if (ipRow && ipRow.failures >= IP_BUDGET) wait = Math.max(wait, ipRow.oldest + WINDOW_MS - t);
	return wait;
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
