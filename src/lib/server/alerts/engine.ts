/**
 * One evaluation round: compute every rule for every flow, compare with each alert's last state,
 * and record + notify only transitions: a new breach fires once, a still-firing alert re-notifies
 * after the re-notify interval, a cleared alert resolves once. Alerts are grouped by (rule, flow),
 * so a breach evaluated every minute is one alert, not a storm.
 */
import { config } from '../config';
import { logger } from '../log';
import { db, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { txFigures } from '../sla/kpis';
import { deadLetters } from '../sla/milestones';
import { deliver } from './notify';
import { evaluateFlow, type Evaluation } from './rules';
import { alertKey, currentAlerts, recordEvent, type AlertEvent } from './store';

const MIN = 60_000;

export interface RoundResult {
	evaluated: number;
	events: AlertEvent[];
}

export async function evaluateAll(now: Date, d: Db = db()): Promise<Evaluation[]> {
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
	return flows.flatMap((f) =>
		evaluateFlow(f, {
			hour: hour.get(f.id)!.totals,
			fiveMin: five.get(f.id)!.totals,
			deadLettersHour: dlHour.get(f.id)!.total,
			deadLetters15m: dl15.get(f.id)!.total,
			deadLettersPrev15m: dlPrev.get(f.id)!.total
		})
	);
}

export async function runRound(now = new Date(), d: Db = db()): Promise<RoundResult> {
	const c = config();
	const [evaluations, current] = await Promise.all([evaluateAll(now, d), currentAlerts(d)]);
	const last = new Map(current.map((a) => [a.alertKey, a]));
	const events: AlertEvent[] = [];
	for (const ev of evaluations) {
		const key = alertKey(ev.rule, ev.flow);
		const prev = last.get(key);
		const wasFiring = prev?.status === 'firing';
		let event: AlertEvent['event'] | null = null;
		if (ev.firing && !wasFiring) event = 'firing';
		else if (ev.firing && wasFiring && now.getTime() - Date.parse(prev!.at) >= c.alertRenotifyMinutes * MIN) event = 'renotify';
		else if (!ev.firing && wasFiring) event = 'resolved';
		if (!event) continue;
		const e: AlertEvent = {
			alertKey: key, rule: ev.rule, flow: ev.flow, kind: ev.kind,
			status: ev.firing ? 'firing' : 'resolved', event,
			value: ev.value, threshold: ev.threshold, summary: ev.summary,
			startedAt: event === 'firing' ? now.toISOString() : prev!.startedAt,
			at: now.toISOString(), delivered: []
		};
		e.delivered = await deliver(e, c.alertWebhooks, { origin: c.origin, now });
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
