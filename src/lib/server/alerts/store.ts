/** Alert history (alert_events, append-only) and the current state of each alert. */
import { db, sql, type Db } from '../db';

export type AlertStatus = 'firing' | 'resolved';
export type AlertEventName = 'firing' | 'renotify' | 'resolved';

export interface AlertEvent {
	alertKey: string;
	rule: string;
	flow: string;
	kind: string;
	status: AlertStatus;
	event: AlertEventName;
	value: number;
	threshold: number;
	summary: string;
	startedAt: string;
	at: string;
	delivered: string[];
}

export const alertKey = (rule: string, flow: string) => `${flow}/${rule}`;

const COLUMNS = sql`AlertKey AS alertKey, Rule AS rule, Flow AS flow, Kind AS kind, Status AS status, Event AS event,
	Value AS value, Threshold AS threshold, Summary AS summary,
	formatDateTime(StartedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS startedAt, formatDateTime(At, '%Y-%m-%dT%H:%i:%S.%fZ') AS at, Delivered AS delivered`;

export async function recordEvent(e: AlertEvent, d: Db = db()): Promise<void> {
	await d.insertRows('alert_events', [
		{
			AlertKey: e.alertKey, Rule: e.rule, Flow: e.flow, Kind: e.kind, Status: e.status, Event: e.event,
			Value: Number.isFinite(e.value) ? e.value : 0, Threshold: e.threshold, Summary: e.summary,
			StartedAt: e.startedAt.replace('T', ' ').replace('Z', ''), At: e.at.replace('T', ' ').replace('Z', ''), Delivered: e.delivered
		}
	]);
}

/** The latest event of every alert that ever fired (firing first, newest first). */
export async function currentAlerts(d: Db = db()): Promise<AlertEvent[]> {
	return d.query<AlertEvent>(sql`
		SELECT ${COLUMNS} FROM alert_events
		ORDER BY At DESC LIMIT 1 BY AlertKey`);
}

/** History, newest first; optional filters by flow and status. */
export async function history(f: { flow?: string; status?: AlertStatus; limit?: number } = {}, d: Db = db()): Promise<AlertEvent[]> {
	return d.query<AlertEvent>(sql`
		SELECT ${COLUMNS} FROM alert_events
		WHERE (${{ String: f.flow ?? '' }} = '' OR Flow = ${{ String: f.flow ?? '' }})
			AND (${{ String: f.status ?? '' }} = '' OR Status = ${{ String: f.status ?? '' }})
		ORDER BY At DESC LIMIT ${{ UInt32: f.limit ?? 200 }}`);
}
