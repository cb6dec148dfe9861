/**
 * SLA figures after the re-interpret job replaced a day (reinterpret.ts). The rollups
 * (sla_tx_traces, sla_tx_steps, …) were rebuilt by their views; the folded transactions
 * (sla_transactions, sla/fold.ts) and their aggregates are not, since the fold only reads rollup
 * rows newer than its marks. So, for the transactions the day's rollups held before the swap
 * (reinterpret_sla_keys):
 * - their folded rows are tombstoned: a transaction the new rules name differently (another flow or
 *   correlation ID), or whose start moved later, must not stay behind;
 * - the minutes those rows were counted in are recomputed (sla/aggregates.ts), without them;
 * - one of their rollup rows outside the day is written again (the rollups merge a repeated row to
 *   the same figures), so the fold sees them as new and folds them again with whatever they still have;
 * - then the fold runs: it folds those and the day's new rollup rows, with versions above the
 *   tombstones, and refreshes the live figures (sla/live.ts).
 */
import { sql, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { milestoneKeysOf, refreshMilestones, refreshMinutes, touchedBy } from '../sla/aggregates';
import { fold } from '../sla/fold';
import { dayParam, insertInto, type Day } from './reinterpret-store';

let lastVersion = 0n;

/** A version above every earlier one (wall clock in ns, as the fold's): the fold's next ones are higher. */
function nextVersion(): bigint {
	const v = BigInt(Date.now()) * 1_000_000n;
	lastVersion = v > lastVersion ? v : lastVersion + 1n;
	return lastVersion;
}

const keysOf = (day: Day) => sql`(Flow, CorrelationId) IN (SELECT Flow, CorrelationId FROM reinterpret_sla_keys WHERE Day = ${dayParam(day)})`;

/** Note the transactions the day's rollups hold now (before the swap deletes them). */
export async function collectSlaKeys(d: Db, day: Day): Promise<void> {
	await d.exec(sql`
		${insertInto('reinterpret_sla_keys')}
		SELECT DISTINCT ${dayParam(day)}, Flow, CorrelationId FROM (
			SELECT Flow, CorrelationId FROM sla_tx_traces WHERE toDate(StartMinute) = ${dayParam(day)}
			UNION ALL SELECT Flow, CorrelationId FROM sla_tx_steps WHERE toDate(StartMinute) = ${dayParam(day)})`);
}

/** Fold the day's transactions again (see above). `main` is the handle the console folds with. */
export async function refoldDay(main: Db, day: Day): Promise<void> {
	const d = main.background?.() ?? main;
	const tomb = nextVersion();
	await d.exec(sql`
		${insertInto('sla_transactions', 'Flow, StartMinute, CorrelationId, Start, LastStepStart, Version, Deleted')}
		SELECT Flow, StartMinute, CorrelationId, Start, LastStepStart, ${{ UInt64: String(tomb) }}, 1
		FROM sla_transactions FINAL WHERE ${keysOf(day)}`);
	const touched = await touchedBy(d, new Date(0), tomb);
	await refreshMinutes(d, touched, nextVersion);
	await refreshMilestones(d, milestoneKeysOf(catalogue().flows), touched, nextVersion);
	await d.exec(sql`
		${insertInto('sla_tx_traces')}
		SELECT * FROM sla_tx_traces WHERE ${keysOf(day)} AND toDate(StartMinute) != ${dayParam(day)}
		LIMIT 1 BY Flow, CorrelationId`);
	// the fold's versions come from the clock: let it pass the last one written here
	while (BigInt(Date.now()) * 1_000_000n <= lastVersion) await new Promise((r) => setTimeout(r, 2));
	await fold(main);
}

/** The console's step and dead-letter mirrors are loaded anew after a job (live.ts). */
export { reloadRollupMirrors } from '../sla/live';
