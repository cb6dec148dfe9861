/**
 * Which points recon_points keeps (migration 402): the (flow, step, key name) of every source and
 * target of the catalogue's reconciliation rules. Kept in step with the catalogue in use at start,
 * at every reload and at every save; points are only ever added (a rule switched off keeps its
 * points, so switching it on again loses nothing). A point new to the scope is backfilled from the
 * spans and records already stored, by the views' own query, so a rule added today reconciles
 * yesterday too.
 */
import { db, raw, sql, type Db } from '../db';
import type { Catalogue } from '../flows/schema';

export interface ScopePoint {
	flow: string;
	step: string;
	keyName: string;
}

const id = (p: ScopePoint) => `${p.flow}\u0000${p.step}\u0000${p.keyName}`;

/** The points a catalogue's rules read. */
export function scopeOf(c: Catalogue): ScopePoint[] {
	const out = new Map<string, ScopePoint>();
	for (const f of c.flows)
		for (const r of f.reconciliation)
			for (const p of [r.source, ...r.targets]) {
				const point = { flow: f.id, step: p.step, keyName: r.key };
				out.set(id(point), point);
			}
	return [...out.values()];
}

/** The views that fill recon_points (their SELECT is the backfill's), and the columns they write. */
const VIEWS = ['recon_points_spans_mv', 'recon_points_logs_mv'];
const COLUMNS = raw('Flow, KeyName, Step, Outcome, Timestamp, KeyValue, PointId, TraceId, Signal, Amount, Currency, Quantity, Partner, EntityType');

/**
 * Add the catalogue's points missing from the scope, then backfill them. Resolves when the scope is
 * written (new telemetry is kept from then on); `backfilled` resolves when the stored telemetry has
 * been read too. Returns the points added.
 */
export async function syncScope(c: Catalogue, d: Db = db(), log: (msg: string, fields?: Record<string, unknown>) => void = () => {}): Promise<{ added: ScopePoint[]; backfilled: Promise<void> }> {
	const wanted = scopeOf(c);
	if (wanted.length === 0) return { added: [], backfilled: Promise.resolve() };
	const have = await d.query<{ Flow: string; Step: string; KeyName: string }>(sql`SELECT DISTINCT Flow, Step, KeyName FROM recon_scope`);
	const known = new Set(have.map((r) => id({ flow: r.Flow, step: r.Step, keyName: r.KeyName })));
	const added = wanted.filter((p) => !known.has(id(p)));
	if (added.length === 0) return { added, backfilled: Promise.resolve() };
	// the scope first: a span stored from now on is kept by the views, one stored before by the
	// backfill; one stored in between is kept twice, under one PointId, which every figure counts once
	await d.insertRows('recon_scope', added.map((p) => ({ Flow: p.flow, Step: p.step, KeyName: p.keyName })));
	const backfilled = backfill(added, d).then(
		(rows) => log('reconciliation points backfilled', { points: added.length, rows }),
		(e) => log('reconciliation backfill failed', { error: (e as Error).message })
	);
	return { added, backfilled };
}

/** recon_points rows for the points, from what otel_traces and otel_logs hold (the views' query). */
async function backfill(points: ScopePoint[], d: Db): Promise<number> {
	const [before] = await d.query<{ n: number }>(sql`SELECT count() AS n FROM recon_points`);
	for (const view of VIEWS) {
		const [v] = await d.query<{ select: string }>(sql`SELECT as_select AS select FROM system.tables WHERE database = currentDatabase() AND name = ${{ String: view }}`);
		if (!v?.select) continue;
		await d.exec(sql`
			INSERT INTO recon_points (${COLUMNS})
			SELECT ${COLUMNS} FROM (${raw(v.select)})
			WHERE concat(Flow, '\0', Step, '\0', KeyName) IN ${{ 'Array(String)': points.map(id) }}`);
	}
	const [after] = await d.query<{ n: number }>(sql`SELECT count() AS n FROM recon_points`);
	return Number(after.n) - Number(before.n);
}
