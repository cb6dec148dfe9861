/**
 * What people do to alerts (table alert_actions, append-only; every action also audited):
 * - acknowledge: "someone is on it"; binds to the firing episode the person saw (its startedAt),
 *   so re-notifications of that episode stop, its resolution is still sent, and the next episode
 *   notifies again;
 * - silence for a period: no notification at all for the alert until the silence ends (the rounds
 *   still record what happened); a silence may be set before an alert fires (maintenance);
 * - unsilence: ends the current silence now.
 * The engine (engine.ts) reads suppression() every round; once a suppression ends, a still-firing
 * alert notifies on the next round.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../audit/log';
import { db, raw, sql, type Db } from '../db';
import { ActionError } from '../exceptions/errors';
import { catalogue } from '../flows/catalogue';
import { alertKey, currentAlerts, type AlertEvent } from './store';
import { ruleCatalogue } from './settings';

export type Actor = { email: string; role: string };

export const MAX_SILENCE_MINUTES = 30 * 24 * 60;

export const ackInput = z.object({ comment: z.string().trim().max(1000, 'has at most 1000 characters').default('') }).strict();
export const silenceInput = z
	.object({
		minutes: z.coerce
			.number({ message: 'must be a number of minutes' })
			.int('must be a whole number of minutes')
			.min(1, 'silence for at least 1 minute')
			.max(MAX_SILENCE_MINUTES, `silence for at most ${MAX_SILENCE_MINUTES} minutes (30 days)`),
		comment: z.string().trim().max(1000, 'has at most 1000 characters').default('')
	})
	.strict();

export interface AlertAction {
	id: string;
	alertKey: string;
	flow: string;
	rule: string;
	action: 'acknowledge' | 'silence' | 'unsilence';
	episodeStart: string;
	until: string;
	comment: string;
	actor: string;
	role: string;
	at: string;
}

const iso = (col: string) => `formatDateTime(${col}, '%Y-%m-%dT%H:%i:%S.%fZ')`;
const COLUMNS = sql`Id AS id, AlertKey AS alertKey, Flow AS flow, Rule AS rule, Action AS action,
	${raw(iso('EpisodeStart'))} AS episodeStart, ${raw(iso('Until'))} AS until, Comment AS comment, Actor AS actor, Role AS role, ${raw(iso('At'))} AS at`;
const chTime = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString()).replace('T', ' ').replace('Z', '');

export interface AlertState {
	/** the acknowledgement of the current firing episode, if any */
	acknowledged?: { by: string; at: string; comment: string };
	/** the silence in force at `now`, if any */
	silenced?: { by: string; at: string; until: string; comment: string };
}

/** Acknowledgements and silences in force at `now`, by alert key. */
export async function alertStates(now: Date, current?: AlertEvent[], d: Db = db()): Promise<Map<string, AlertState>> {
	const [acks, silences, cur] = await Promise.all([
		d.query<AlertAction>(sql`SELECT ${COLUMNS} FROM alert_actions WHERE Action = 'acknowledge' ORDER BY At DESC LIMIT 1 BY AlertKey, EpisodeStart`),
		d.query<AlertAction>(sql`SELECT ${COLUMNS} FROM alert_actions WHERE Action IN ('silence', 'unsilence') ORDER BY At DESC LIMIT 1 BY AlertKey`),
		current ? Promise.resolve(current) : currentAlerts(d)
	]);
	const out = new Map<string, AlertState>();
	const get = (k: string) => out.get(k) ?? (out.set(k, {}), out.get(k)!);
	for (const s of silences) {
		if (s.action === 'silence' && Date.parse(s.until) > now.getTime()) get(s.alertKey).silenced = { by: s.actor, at: s.at, until: s.until, comment: s.comment };
	}
	const firing = new Map(cur.filter((a) => a.status === 'firing').map((a) => [a.alertKey, a.startedAt]));
	for (const a of acks) {
		const started = firing.get(a.alertKey);
		if (started && Date.parse(started) === Date.parse(a.episodeStart)) get(a.alertKey).acknowledged = { by: a.actor, at: a.at, comment: a.comment };
	}
	return out;
}

/** Why a notification for this alert is held back now ('' = send it). */
export function suppression(state: AlertState | undefined, event: AlertEvent['event']): string {
	if (state?.silenced) return `silenced until ${state.silenced.until} by ${state.silenced.by}`;
	if (state?.acknowledged && event !== 'resolved') return `acknowledged by ${state.acknowledged.by}`;
	return '';
}

/** The flow and rule must exist (the flow in the catalogue, the rule among the flow's rules). */
function checkKey(flow: string, rule: string): void {
	const f = catalogue().flows.find((x) => x.id === flow);
	if (!f) throw new ActionError(404, `no flow ${flow}`);
	if (!ruleCatalogue(f).some((r) => r.rule === rule)) throw new ActionError(404, `flow ${flow} has no alert rule ${rule}`);
}

/** Acknowledge the current firing episode of an alert (operators and admins; audited). */
export async function acknowledge(flow: string, rule: string, input: unknown, by: Actor, now = new Date(), d: Db = db()): Promise<AlertAction> {
	checkKey(flow, rule);
	const v = ackInput.parse(input ?? {});
	const key = alertKey(rule, flow);
	const cur = (await currentAlerts(d)).find((a) => a.alertKey === key);
	if (!cur || cur.status !== 'firing') throw new ActionError(409, `${key} is not firing: only a firing alert can be acknowledged`);
	return record({ alertKey: key, flow, rule, action: 'acknowledge', episodeStart: cur.startedAt, until: new Date(0).toISOString(), comment: v.comment }, by, now, d);
}

/** Silence an alert for a number of minutes (operators and admins; audited). */
export async function silence(flow: string, rule: string, input: unknown, by: Actor, now = new Date(), d: Db = db()): Promise<AlertAction> {
	checkKey(flow, rule);
	const v = silenceInput.parse(input ?? {});
	const until = new Date(now.getTime() + v.minutes * 60_000).toISOString();
	return record({ alertKey: alertKey(rule, flow), flow, rule, action: 'silence', episodeStart: new Date(0).toISOString(), until, comment: v.comment }, by, now, d);
}

/** End an alert's silence now (audited); 409 when none is in force. */
export async function unsilence(flow: string, rule: string, input: unknown, by: Actor, now = new Date(), d: Db = db()): Promise<AlertAction> {
	checkKey(flow, rule);
	const v = ackInput.parse(input ?? {});
	const key = alertKey(rule, flow);
	if (!(await alertStates(now, [], d)).get(key)?.silenced) throw new ActionError(409, `${key} is not silenced`);
	return record({ alertKey: key, flow, rule, action: 'unsilence', episodeStart: new Date(0).toISOString(), until: now.toISOString(), comment: v.comment }, by, now, d);
}

async function record(a: Omit<AlertAction, 'id' | 'actor' | 'role' | 'at'>, by: Actor, now: Date, d: Db): Promise<AlertAction> {
	const full: AlertAction = { ...a, id: randomUUID(), actor: by.email, role: by.role, at: now.toISOString() };
	await appendAudit(async () => ({
		actor: by.email, role: by.role, action: `alert_${a.action}`, subjectType: 'alert', subjectId: a.alertKey, comment: a.comment, result: 'ok',
		data: a.action === 'silence' ? { until: a.until } : a.action === 'acknowledge' ? { episodeStart: a.episodeStart } : {}
	}));
	await d.insertRows('alert_actions', [
		{
			Id: full.id, AlertKey: a.alertKey, Flow: a.flow, Rule: a.rule, Action: a.action, EpisodeStart: chTime(a.episodeStart), Until: chTime(a.until),
			Comment: a.comment, Actor: by.email, Role: by.role, At: chTime(now)
		}
	]);
	return full;
}
