/**
 * What the console and the API show about alerts: every (flow, rule) with its settings, its latest
 * event and who acknowledged or silenced it, and the history of people's changes (from the audit
 * log: acknowledgements, silences, rule and channel edits).
 */
import { auditOfTypes } from '../audit/log';
import { db, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { alertStates, type AlertState } from './actions';
import { ruleCatalogue, ruleSettings, type RuleInfo } from './settings';
import { alertKey, currentAlerts, type AlertEvent } from './store';

export interface AlertView extends RuleInfo {
	alertKey: string;
	flowName: string;
	enabled: boolean;
	/** the threshold in force: the override, else the default */
	threshold: number;
	thresholdOverride: number | null;
	channels: string[];
	/** the latest event, if the alert ever fired */
	last: AlertEvent | null;
	firing: boolean;
	state: AlertState;
	settingsBy: string;
	settingsAt: string;
}

/** Every alert of every flow, firing ones first. */
export async function alertBoard(now = new Date(), d: Db = db()): Promise<AlertView[]> {
	const [settings, current] = await Promise.all([ruleSettings(d), currentAlerts(d)]);
	const states = await alertStates(now, current, d);
	const last = new Map(current.map((a) => [a.alertKey, a]));
	const out: AlertView[] = [];
	for (const f of catalogue().flows) {
		for (const r of ruleCatalogue(f)) {
			const key = alertKey(r.rule, f.id);
			const s = settings.get(key);
			const l = last.get(key) ?? null;
			out.push({
				...r, alertKey: key, flowName: f.name, enabled: s?.enabled ?? true, threshold: s?.threshold ?? r.defaultThreshold, thresholdOverride: s?.threshold ?? null,
				channels: s?.channels ?? [], last: l, firing: l?.status === 'firing', state: states.get(key) ?? {}, settingsBy: s?.updatedBy ?? '', settingsAt: s?.updatedAt ?? ''
			});
		}
	}
	return out.sort((a, b) => Number(b.firing) - Number(a.firing));
}

export interface ActivityRow {
	at: string;
	actor: string;
	role: string;
	action: string;
	subjectType: string;
	subjectId: string;
	comment: string;
	data: Record<string, unknown>;
}

/** People's changes to alerts, rules and channels, newest first. */
export async function alertActivity(limit = 200): Promise<ActivityRow[]> {
	const rows = await auditOfTypes(['alert', 'alert_rule', 'alert_channel'], limit);
	return rows.map((r) => ({
		at: r.At.includes('T') ? r.At : `${r.At.replace(' ', 'T')}Z`,
		actor: r.Actor, role: r.Role, action: r.Action, subjectType: r.SubjectType, subjectId: r.SubjectId, comment: r.Comment,
		data: r.Data ? (JSON.parse(r.Data) as Record<string, unknown>) : {}
	}));
}
