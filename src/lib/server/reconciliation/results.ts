/**
 * Reconciliation results of a flow over a window, assembled from the one query (stateCounts) and the
 * control totals; the overview tile and the alert rules read the same results.
 */
import { db, type Db } from '../db';
import { exceptionsByKey } from '../exceptions/by-key';
import type { Flow, ReconRule } from '../flows/schema';
import { controlTotals } from './control-totals';
import { keptStateCounts } from './kept';
import { keysIn, type Window } from './queries';
import { STATES, type FlowResult, type KeyRow, type KeyState, type ReconOverview, type RuleResult } from './schemas';

const zero = () => Object.fromEntries(STATES.map((s) => [s, 0])) as Record<KeyState, number>;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Results of one rule: figures per target, the trend in buckets of bucketSeconds, control totals. A
 * settled window's figures are the kept ones while its points are unchanged (kept.ts).
 */
export async function ruleResult(flow: string, rule: ReconRule, w: Window, bucketSeconds: number, d: Db = db()): Promise<RuleResult> {
	const [counts, totals] = await Promise.all([keptStateCounts(flow, rule, w, bucketSeconds, d), controlTotals(flow, rule, w, d)]);
	const targets = rule.targets.map((t) => ({ system: t.system, step: t.step, required: t.required, graceMs: t.grace, figures: zero(), late: 0 }));
	const buckets = new Map<number, { sourceKeys: number; targets: Record<string, Record<KeyState, number>> }>();
	const n = Math.ceil((w.to.getTime() - w.from.getTime()) / (bucketSeconds * 1000));
	for (let b = 0; b < n; b++) buckets.set(b, { sourceKeys: 0, targets: Object.fromEntries(rule.targets.map((t) => [t.system, zero()])) });
	for (const c of counts) {
		const t = targets[c.target];
		t.figures[c.state] += c.n;
		t.late += c.late;
		const b = buckets.get(c.bucket);
		if (!b) continue;
		b.targets[t.system][c.state] += c.n;
		// every source key of the window has exactly one state per target: count them on the first
		if (c.target === 0 && c.state !== 'unexpected') b.sourceKeys += c.n;
	}
	const f0 = targets[0].figures;
	return {
		rule: rule.id,
		name: rule.name,
		key: rule.key,
		source: { step: rule.source.step, system: rule.source.system },
		sourceKeys: STATES.filter((s) => s !== 'unexpected').reduce((n, s) => n + f0[s], 0),
		targets,
		trend: [...buckets].map(([b, x]) => ({ at: iso(w.from.getTime() + b * bucketSeconds * 1000), ...x })),
		controlTotals: totals
	};
}

/** Results of every rule of a flow. */
export async function flowResult(flow: Flow, w: Window & { window: 'day' | 'hour'; bucketSeconds: number }, d: Db = db()): Promise<FlowResult> {
	const rules = await Promise.all(flow.reconciliation.map((r) => ruleResult(flow.id, r, w, w.bucketSeconds, d)));
	return { flow: flow.id, window: w.window, from: w.from.toISOString(), to: w.to.toISOString(), rules };
}

/** The keys behind one figure, each with its exception where the flow has one for the key. */
export async function keyRows(flow: string, rule: ReconRule, w: Window, targetSystem: string, state: KeyState, limit: number, d: Db = db()): Promise<KeyRow[] | null> {
	const target = rule.targets.findIndex((t) => t.system === targetSystem);
	if (target < 0) return null;
	const keys = await keysIn(flow, rule, w, target, state, limit, d);
	const exceptions = await exceptionsByKey(flow, keys.map((k) => k.key), d);
	return keys.map((k) => ({
		key: k.key,
		sourceAt: k.sourceAt === null ? null : iso(k.sourceAt),
		targetAt: k.targetAt === null ? null : iso(k.targetAt),
		arrivals: k.arrivals,
		late: k.late,
		differs: k.differs,
		sourceFields: k.sourceFields,
		targetFields: k.targetFields,
		exceptionId: exceptions.get(k.key) ?? null
	}));
}

/** Sum of a figure over a rule's targets (required targets only for missing and pending). */
function total(r: RuleResult, s: KeyState): number {
	return r.targets.filter((t) => t.required || (s !== 'missing' && s !== 'pending')).reduce((n, t) => n + t.figures[s], 0);
}

/** The executive tile: per flow with rules, the figures summed over its rules and targets. */
export async function overview(flows: Flow[], w: Window, d: Db = db()): Promise<ReconOverview> {
	const withRules = flows.filter((f) => f.reconciliation.length > 0);
	const results = await Promise.all(withRules.map((f) => Promise.all(f.reconciliation.map((r) => ruleResult(f.id, r, w, 86_400, d)))));
	return {
		from: w.from.toISOString(),
		to: w.to.toISOString(),
		flows: withRules.map((f, i) => {
			const rs = results[i];
			const sum = (s: KeyState) => rs.reduce((n, r) => n + total(r, s), 0);
			return {
				flow: f.id,
				name: f.name,
				rules: rs.length,
				/** target points over its rules: a key that reached two targets is matched twice */
				targets: f.reconciliation.reduce((n, r) => n + r.targets.length, 0),
				sourceKeys: rs.reduce((n, r) => n + r.sourceKeys, 0),
				matched: sum('matched'),
				missing: sum('missing'),
				pending: sum('pending'),
				duplicated: sum('duplicated'),
				mismatched: sum('mismatched'),
				unexpected: sum('unexpected'),
				controlTotalsDiffer: rs.reduce((n, r) => n + r.controlTotals.filter((c) => !c.agrees).length, 0)
			};
		})
	};
}

const tile = new Map<string, { at: number; value: Promise<ReconOverview> }>();

/**
 * The overview tile's figures, computed at most once a minute per window and rule set: the executive
 * overview refreshes every 30 s, and a day of a million keys takes about a second to reconcile.
 */
export function overviewCached(flows: Flow[], w: Window, d: Db = db(), ttlMs = 60_000): Promise<ReconOverview> {
	const key = JSON.stringify([w.from, w.to, flows.map((f) => [f.id, f.name, f.reconciliation])]);
	const hit = tile.get(key);
	if (hit && w.now.getTime() - hit.at < ttlMs) return hit.value;
	const value = overview(flows, w, d);
	tile.clear();
	tile.set(key, { at: w.now.getTime(), value });
	value.catch(() => tile.delete(key));
	return value;
}
