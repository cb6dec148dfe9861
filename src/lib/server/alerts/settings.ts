/**
 * Admin settings of the rules derived from the catalogue, per (flow, rule): on/off, a threshold
 * for the rules whose threshold is not an objective (burn-rate, dlq-growth; a breach rule's
 * threshold is its objective, edited in the flow catalogue, so the two never drift), and the
 * channels to notify (none = every channel that covers the flow). Newest Version wins; audited.
 */
import { z } from 'zod';
import { appendAudit } from '../audit/log';
import { db, sql, type Db } from '../db';
import { ActionError } from '../exceptions/errors';
import { catalogue } from '../flows/catalogue';
import type { Flow } from '../flows/schema';
import type { TxFigures } from '../sla/kpis';
import { evaluateFlow, type Evaluation } from './rules';

type Actor = { email: string; role: string };

/** Bounds of an editable threshold, by rule. */
export const THRESHOLD_BOUNDS: Record<string, { min: number; max: number; unit: string }> = {
	'burn-rate': { min: 1, max: 1000, unit: '× the sustainable error-budget rate (above 1)' },
	'dlq-growth': { min: 0, max: 1_000_000, unit: 'dead letters in 15 minutes' }
};

export interface RuleInfo {
	rule: string;
	kind: Evaluation['kind'];
	flow: string;
	/** the threshold without an override (the objective, 14.4× or a quarter of dead letters/hour) */
	defaultThreshold: number;
	/** the threshold may be set here (false: it is the flow's objective) */
	thresholdEditable: boolean;
}

export interface RuleSetting {
	flow: string;
	rule: string;
	enabled: boolean;
	/** null = the default threshold */
	threshold: number | null;
	channels: string[];
	updatedBy: string;
	updatedAt: string;
}

const ZERO: TxFigures = {
	total: 0, succeeded: 0, failed: 0, duplicates: 0, replays: 0, stuck: 0, successRate: null,
	e2eMs: { p50: null, p95: null, p99: null }, eventDelayMs: { p50: null, p95: null }, valueAtRisk: 0, valueAtRiskByCurrency: {}
};

/** The rules a flow has (from its objectives and its alerting reconciliation rules), with their default thresholds. */
export function ruleCatalogue(flow: Flow): RuleInfo[] {
	const w = { hour: ZERO, fiveMin: ZERO, deadLettersHour: 0, deadLetters15m: 0, deadLettersPrev15m: 0 };
	const fromObjectives = evaluateFlow(flow, w).map((e) => ({ rule: e.rule, kind: e.kind, flow: e.flow, defaultThreshold: e.threshold, thresholdEditable: e.rule in THRESHOLD_BOUNDS }));
	// the names evaluateReconciliation (rules.ts) gives them; they fire on any missing key or differing total
	const fromReconciliation = flow.reconciliation
		.filter((r) => r.alerts)
		.flatMap((r) => (['recon-missing', 'recon-control-total'] as const).map((kind) => ({ rule: `${kind}:${r.id}`, kind, flow: flow.id, defaultThreshold: 0, thresholdEditable: false })));
	return [...fromObjectives, ...fromReconciliation];
}

export const ruleSettingInput = z
	.object({
		enabled: z.boolean({ message: 'must be true or false' }),
		threshold: z.number({ message: 'must be a number (empty or null for the default)' }).finite('must be a finite number').nullable().default(null),
		channels: z.array(z.string().min(1, 'a channel id is empty'), { message: 'must be a list of channel ids' }).max(20, 'at most 20 channels').default([])
	})
	.strict();
export type RuleSettingInput = z.input<typeof ruleSettingInput>;

interface Row {
	Flow: string;
	Rule: string;
	Version: number;
	Enabled: number;
	Threshold: number | null;
	Channels: string[];
	UpdatedBy: string;
	UpdatedAt: string;
}

const toSetting = (r: Row): RuleSetting => ({
	flow: r.Flow, rule: r.Rule, enabled: r.Enabled === 1, threshold: r.Threshold === null ? null : Number(r.Threshold), channels: r.Channels, updatedBy: r.UpdatedBy, updatedAt: r.UpdatedAt
});

/** Every stored setting, keyed "<flow>/<rule>" (the alert key). */
export async function ruleSettings(d: Db = db()): Promise<Map<string, RuleSetting>> {
	const rows = await d.query<Row>(sql`
		SELECT Flow, Rule, Version, Enabled, Threshold, Channels, UpdatedBy, formatDateTime(UpdatedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS UpdatedAt
		FROM alert_rule_settings FINAL`);
	return new Map(rows.map((r) => [`${r.Flow}/${r.Rule}`, toSetting(r)]));
}

/**
 * Check a setting against the flow's rules and the channels, collecting every problem (not only
 * the first) so a form can show them all at once. Throws a ZodError (400 with `issues`).
 */
export function validateRuleSetting(flow: string, rule: string, input: unknown, channels: readonly { id: string; name: string; flows: string[] }[]): z.infer<typeof ruleSettingInput> {
	const issues: z.core.$ZodIssue[] = [];
	const custom = (path: (string | number)[], message: string) => issues.push({ code: 'custom', path, message, input: undefined });
	const f = catalogue().flows.find((x) => x.id === flow);
	if (!f) throw new ActionError(404, `no flow ${flow}`);
	const info = ruleCatalogue(f).find((r) => r.rule === rule);
	if (!info) throw new ActionError(404, `flow ${flow} has no alert rule ${rule}`);
	const parsed = ruleSettingInput.safeParse(input);
	if (!parsed.success) issues.push(...parsed.error.issues);
	const raw = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
	const threshold = typeof raw.threshold === 'number' ? raw.threshold : null;
	if (threshold !== null && Number.isFinite(threshold)) {
		const b = THRESHOLD_BOUNDS[rule];
		if (!b && rule.startsWith('recon-')) custom(['threshold'], `${rule} fires on any missing key or differing control total: it has no threshold`);
		else if (!b) custom(['threshold'], `${rule} uses the flow's objective (${info.defaultThreshold}) as its threshold: change the objective in the flow catalogue`);
		else if (rule === 'burn-rate' ? threshold <= b.min || threshold > b.max : threshold < b.min || threshold > b.max)
			custom(['threshold'], `must be ${rule === 'burn-rate' ? 'above' : 'at least'} ${b.min} and at most ${b.max} (${b.unit})`);
	}
	if (Array.isArray(raw.channels)) {
		raw.channels.forEach((id, i) => {
			if (typeof id !== 'string' || !id) return;
			const c = channels.find((x) => x.id === id);
			if (!c) custom(['channels', i], `no channel ${id}`);
			else if (c.flows.length > 0 && !c.flows.includes(flow)) custom(['channels', i], `channel ${c.name} does not cover flow ${flow} (it covers ${c.flows.join(', ')})`);
		});
	}
	if (issues.length) throw new z.ZodError(issues);
	return parsed.data!;
}

/** Save a rule's setting (admins; validated with validateRuleSetting; audited). */
export async function saveRuleSetting(flow: string, rule: string, input: unknown, channels: readonly { id: string; name: string; flows: string[] }[], by: Actor, d: Db = db()): Promise<RuleSetting> {
	const v = validateRuleSetting(flow, rule, input, channels);
	const prev = (await ruleSettings(d)).get(`${flow}/${rule}`);
	const at = new Date();
	const row: Row = {
		Flow: flow, Rule: rule, Version: Math.max(at.getTime(), (prev ? Date.parse(prev.updatedAt) : 0) + 1), Enabled: v.enabled ? 1 : 0,
		Threshold: v.threshold, Channels: v.channels, UpdatedBy: by.email, UpdatedAt: at.toISOString().replace('T', ' ').replace('Z', '')
	};
	await appendAudit(async () => ({
		actor: by.email, role: by.role, action: 'alert_rule_update', subjectType: 'alert_rule', subjectId: `${flow}/${rule}`, result: 'ok',
		data: { before: prev ? { enabled: prev.enabled, threshold: prev.threshold, channels: prev.channels } : null, after: { enabled: v.enabled, threshold: v.threshold, channels: v.channels } }
	}));
	await d.insertRows('alert_rule_settings', [{ ...row }]);
	return toSetting({ ...row, UpdatedAt: at.toISOString() });
}
