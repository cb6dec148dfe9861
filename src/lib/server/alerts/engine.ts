/**
 * One evaluation round: compute every rule for every flow, compare with each alert's last state,
 * and record + notify only transitions: a new breach fires once, a still-firing alert re-notifies
 * after the re-notify interval, a cleared alert resolves once. Alerts are grouped by (rule, flow),
 * so a breach evaluated every minute is one alert, not a storm. People's actions (actions.ts) hold
 * notifications back: a silenced alert sends nothing, an acknowledged one no re-notification; the
 * event is still recorded with the reason, and once the hold ends a still-firing alert notifies on
 * the next round. A rule an admin disabled (settings.ts) does not fire (a firing one resolves quietly).
 */
import { config } from '../config';
import { logger } from '../log';
import { db, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { txFigures } from '../sla/kpis';
import { deadLetters } from '../sla/milestones';
import { alertStates, suppression } from './actions';
import { channelsForSending } from './channels';
import { deliver, deliverToChannels } from './notify';
import { ruleResult } from '../reconciliation/results';
import { evaluateFlow, evaluateReconciliation, type Evaluation } from './rules';
import { ruleSettings, type RuleSetting } from './settings';
import { alertKey, currentAlerts, recordDeliveries, recordEvent, type AlertEvent } from './store';

const MIN = 60_000;

export interface RoundResult {
	evaluated: number;
	events: AlertEvent[];
}

/** Admin threshold overrides of one flow's rules, by rule. */
function thresholdsOf(flow: string, settings: ReadonlyMap<string, RuleSetting>): Map<string, number> {
	const out = new Map<string, number>();
	for (const s of settings.values()) if (s.flow === flow && s.threshold !== null) out.set(s.rule, s.threshold);
	return out;
}

export async function evaluateAll(now: Date, d: Db = db(), settings: ReadonlyMap<string, RuleSetting> = new Map()): Promise<Evaluation[]> {
	const flows = catalogue().flows;
	const ids = flows.map((f) => f.id);
	const at = (ms: number) => new Date(now.getTime() - ms);
	const [hour, five, dlHour, dl15, dlPrev] = await Promise.all([
		txFigures(flows, { from: at(60 * MIN), to: now, now }, 0, d),
		txFigures(flows, { from: at(5 * MIN), to: now, now }, 0, d),
		deadLetters(ids, { from: at(60 * MIN), to: now, now }, 0, d),
		deadLetters(ids, { from: at(15 * MIN), to: now, now }, 0, d),
		deadLetters(ids, { from: at(30 * MIN), to: at(15 * MIN), now }, 0, d)
	]);
	// reconciliation rules (docs/reconciliation.md): the last 24 hours, the page's own query
	const day = { from: at(24 * 60 * MIN), to: now, now };
	const recon = await Promise.all(flows.map((f) => Promise.all(f.reconciliation.filter((r) => r.alerts).map((r) => ruleResult(f.id, r, day, 86_400, d)))));
	return flows.flatMap((f, i) => [
		...evaluateFlow(f, {
			hour: hour.get(f.id)!.totals,
			fiveMin: five.get(f.id)!.totals,
			deadLettersHour: dlHour.get(f.id)!.total,
			deadLetters15m: dl15.get(f.id)!.total,
			deadLettersPrev15m: dlPrev.get(f.id)!.total
		}, thresholdsOf(f.id, settings)),
		...evaluateReconciliation(f, recon[i])
	]);
}

export async function runRound(now = new Date(), d: Db = db()): Promise<RoundResult> {
	const c = config();
	const [settings, current, channels] = await Promise.all([ruleSettings(d), currentAlerts(d), channelsForSending(d)]);
	const [evaluations, states] = await Promise.all([evaluateAll(now, d, settings), alertStates(now, current, d)]);
	const last = new Map(current.map((a) => [a.alertKey, a]));
	const events: AlertEvent[] = [];
	for (const ev of evaluations) {
		const key = alertKey(ev.rule, ev.flow);
		const setting = settings.get(key);
		const disabled = setting?.enabled === false;
		const firing = ev.firing && !disabled;
		const prev = last.get(key);
		const wasFiring = prev?.status === 'firing';
		let event: AlertEvent['event'] | null = null;
		if (firing && !wasFiring) event = 'firing';
		else if (firing && wasFiring) {
			// the last event was held back and nothing holds this one: tell now, not an interval later
			const holdEnded = !!prev!.suppressed && !suppression(states.get(key), 'renotify');
			if (holdEnded || now.getTime() - Date.parse(prev!.at) >= c.alertRenotifyMinutes * MIN) event = 'renotify';
		} else if (!firing && wasFiring) event = 'resolved';
		if (!event) continue;
		const e: AlertEvent = {
			alertKey: key, rule: ev.rule, flow: ev.flow, kind: ev.kind,
			status: firing ? 'firing' : 'resolved', event,
			value: ev.value, threshold: ev.threshold, summary: ev.summary,
			startedAt: event === 'firing' ? now.toISOString() : prev!.startedAt,
			at: now.toISOString(), delivered: [],
			suppressed: disabled ? `rule disabled by ${setting!.updatedBy}` : suppression(states.get(key), event)
		};
		if (!e.suppressed) {
			const targets = channels.filter((ch) => (ch.flows.length === 0 || ch.flows.includes(e.flow)) && (!setting?.channels.length || setting.channels.includes(ch.id)));
			const [urls, sent] = await Promise.all([deliver(e, c.alertWebhooks, { origin: c.origin, now }), deliverToChannels(e, targets, { origin: c.origin, now })]);
			await recordDeliveries(sent, d);
			e.delivered = [...urls, ...sent.filter((x) => x.outcome === 'delivered').map((x) => `channel:${x.channelId}`)];
		}
		await recordEvent(e, d);
		events.push(e);
	}
	return { evaluated: evaluations.length, events };
}

const KEY = Symbol.for('syncscope.alerts');
type G = typeof globalThis & { [KEY]?: { stop(): void } };

/**
 * Start the in-process scheduler (call once from `syncscope start` after migrations, next to
 * startCollector). Rounds never overlap; a failed round is logged and the next one runs on time.
 */
export function startAlerts(opts: { intervalMs?: number; db?: Db } = {}): { stop(): void } {
	const g = globalThis as G;
	if (g[KEY]) return g[KEY];
	const interval = opts.intervalMs ?? config().alertIntervalSeconds * 1000;
	const log = logger('alerts');
	let running = false;
	const tick = async () => {
		if (running) return;
		running = true;
		try {
			const r = await runRound(new Date(), opts.db);
			for (const e of r.events) log.info(`alert ${e.event}`, { alert: e.alertKey, summary: e.summary, delivered: e.delivered.length });
		} catch (err) {
			log.error('alert evaluation failed', { err });
		} finally {
			running = false;
		}
	};
	const timer = setInterval(() => void tick(), interval);
	timer.unref();
	const handle = {
		stop() {
			clearInterval(timer);
			delete g[KEY];
		}
	};
	g[KEY] = handle;
	return handle;
}
