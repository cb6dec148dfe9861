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
	/** why nothing was sent ('' = notified): e.g. "silenced until … by …", "acknowledged by …" */
	suppressed?: string;
}

export const alertKey = (rule: string, flow: string) => `${flow}/${rule}`;

const COLUMNS = sql`AlertKey AS alertKey, Rule AS rule, Flow AS flow, Kind AS kind, Status AS status, Event AS event,
	Value AS value, Threshold AS threshold, Summary AS summary,
	formatDateTime(StartedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS startedAt, formatDateTime(At, '%Y-%m-%dT%H:%i:%S.%fZ') AS at, Delivered AS delivered, Suppressed AS suppressed`;

export async function recordEvent(e: AlertEvent, d: Db = db()): Promise<void> {
	await d.insertRows('alert_events', [
		{
			AlertKey: e.alertKey, Rule: e.rule, Flow: e.flow, Kind: e.kind, Status: e.status, Event: e.event,
			Value: Number.isFinite(e.value) ? e.value : 0, Threshold: e.threshold, Summary: e.summary,
			StartedAt: e.startedAt.replace('T', ' ').replace('Z', ''), At: e.at.replace('T', ' ').replace('Z', ''), Delivered: e.delivered, Suppressed: e.suppressed ?? ''
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

export interface Delivery {
	at: string;
	deliveryId: string;
	alertKey: string;
	event: string;
	channelId: string;
	channelName: string;
	kind: string;
	status: number;
	outcome: 'delivered' | 'failed' | 'refused';
	attempts: number;
	error: string;
	durationMs: number;
}

/** One row per notification sent to a console channel (after the sender's retries). */
export async function recordDeliveries(rows: Delivery[], d: Db = db()): Promise<void> {
	if (rows.length === 0) return;
	await d.insertRows(
		'alert_deliveries',
		rows.map((r) => ({
			At: r.at.replace('T', ' ').replace('Z', ''), DeliveryId: r.deliveryId, AlertKey: r.alertKey, Event: r.event, ChannelId: r.channelId,
			ChannelName: r.channelName, Kind: r.kind, Status: r.status, Outcome: r.outcome, Attempts: r.attempts, Error: r.error, DurationMs: Math.round(r.durationMs)
		}))
	);
}

/** Channel deliveries, newest first; optional filter by channel or alert. */
export async function deliveries(f: { channelId?: string; alertKey?: string; limit?: number } = {}, d: Db = db()): Promise<Delivery[]> {
	return d.query<Delivery>(sql`
		SELECT formatDateTime(At, '%Y-%m-%dT%H:%i:%S.%fZ') AS at, DeliveryId AS deliveryId, AlertKey AS alertKey, Event AS event,
			ChannelId AS channelId, ChannelName AS channelName, Kind AS kind, Status AS status, Outcome AS outcome,
			Attempts AS attempts, Error AS error, DurationMs AS durationMs
		FROM alert_deliveries
		WHERE (${{ String: f.channelId ?? '' }} = '' OR ChannelId = ${{ String: f.channelId ?? '' }})
			AND (${{ String: f.alertKey ?? '' }} = '' OR AlertKey = ${{ String: f.alertKey ?? '' }})
		ORDER BY At DESC LIMIT ${{ UInt32: f.limit ?? 200 }}`);
}
