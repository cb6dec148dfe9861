/**
 * The simulated estate: draws business transactions (order to cash, procure to pay, inventory sync,
 * item and customer master sync) from a seeded random stream and plays them through the scenarios.
 * `backfill()` covers the last days with past timestamps; `tick()` / `startTrickle()` keep it live,
 * and also deliver follow-ups (acknowledgements, ASNs, invoices) once their time comes.
 */
import { Rng, SeededIdGenerator } from './random';
import { reprocess, type ActionData, type ReprocessResult } from './reprocess';
import { BusinessIds, DAY, HOUR, MINUTE, SECOND, type Incident, type ScenarioContext } from './scenario';
import { startAdjustment } from './scenarios/inventory-sync';
import { startCustomerChange, startItemChange } from './scenarios/master-sync';
import { startOrder } from './scenarios/order-to-cash';
import { startReplenishment } from './scenarios/procure-to-pay';
import { Telemetry, type Sinks } from './telemetry';

export type TransactionKind = 'order-to-cash' | 'procure-to-pay' | 'inventory-sync' | 'item-master' | 'customer-master';

const MIX: [TransactionKind, number][] = [
	['order-to-cash', 0.55],
	['procure-to-pay', 0.1],
	['inventory-sync', 0.22],
	['item-master', 0.06],
	['customer-master', 0.07]
];

const START: Record<TransactionKind, (ctx: ScenarioContext, t: number) => void> = {
	'order-to-cash': startOrder,
	'procure-to-pay': startReplenishment,
	'inventory-sync': startAdjustment,
	'item-master': startItemChange,
	'customer-master': startCustomerChange
};

/** Live transactions start this long before now, so their whole in-trace chain is in the past. */
export const LIVE_LAG_MS = 90 * SECOND;

export interface SimulatorOptions {
	/** same seed, same `now` → the same telemetry, byte for byte */
	seed?: string;
	sinks: Sinks;
	/** BatchSpanProcessor delay (ms) */
	scheduledDelayMillis?: number;
}

export interface BackfillOptions {
	now: number;
	days?: number;
	transactions?: number;
	/** called after each exported chunk */
	onProgress?: (done: number, total: number) => void;
}

interface Pending {
	at: number;
	seq: number;
	fn: (at: number) => void;
}

export class Simulator {
	readonly telemetry: Telemetry;
	readonly ctx: ScenarioContext;
	readonly seed: string;
	private pending: Pending[] = [];
	private seq = 0;
	/** follow-ups due at or before this run at once; later ones wait for tick() */
	private horizon = Number.NEGATIVE_INFINITY;
	private started = new Map<TransactionKind, number>();
	private readonly idGenerator: SeededIdGenerator;

	constructor(opts: SimulatorOptions) {
		this.seed = opts.seed ?? 'keystone';
		this.idGenerator = new SeededIdGenerator(new Rng(`${this.seed}:ids`));
		this.telemetry = new Telemetry(opts.sinks, {
			idGenerator: this.idGenerator,
			scheduledDelayMillis: opts.scheduledDelayMillis
		});
		this.ctx = {
			rng: new Rng(this.seed),
			tel: this.telemetry,
			ids: new BusinessIds(),
			incidents: [],
			attempts: new Map(),
			later: (at, fn) => (at <= this.horizon ? fn(at) : this.push({ at, fn, seq: this.seq++ }))
		};
	}

	/** How many transactions of each kind were started. */
	counts(): Record<TransactionKind, number> {
		return Object.fromEntries(MIX.map(([k]) => [k, this.started.get(k) ?? 0])) as Record<TransactionKind, number>;
	}

	/** Follow-ups still waiting for their time (acks, ASNs, invoices, resubmissions). */
	pendingCount(): number {
		return this.pending.length;
	}

	/** The last `days` of history, ending shortly before `now`, business hours busier than nights. */
	async backfill(o: BackfillOptions): Promise<void> {
		const days = o.days ?? 7;
		const total = o.transactions ?? 3000;
		const from = o.now - days * DAY;
		const to = o.now - LIVE_LAG_MS;
		this.ctx.incidents.push(...incidentsFor(o.now, days));
		const times: number[] = [];
		while (times.length < total) {
			const t = this.ctx.rng.between(from, to);
			if (this.ctx.rng.next() < busyness(t)) times.push(t);
		}
		times.sort((a, b) => a - b);
		this.horizon = to;
		const chunk = 250;
		for (let i = 0; i < times.length; i++) {
			this.start(this.ctx.rng.weighted(MIX), times[i]);
			if ((i + 1) % chunk === 0 || i === times.length - 1) {
				await this.telemetry.flush();
				o.onProgress?.(i + 1, total);
			}
		}
	}

	/**
	 * Switch to a live stream: a seed, trace IDs and business numbers of their own, so a restarted
	 * demo never re-sends the trace IDs (which the store would take for re-sent spans) or the order
	 * numbers of an earlier run.
	 */
	goLive(now: number): void {
		this.ctx.rng = new Rng(`${this.seed}:live:${now}`);
		this.idGenerator.reseed(new Rng(`${this.seed}:live-ids:${now}`));
		this.ctx.ids = new BusinessIds(1_000_000 + (Math.floor(now / 1000) % 8_000_000));
		this.horizon = now;
	}

	/** Deliver due follow-ups and start `count` new transactions ending by `now`. */
	tick(now: number, count: number): void {
		this.horizon = now;
		this.runDue(now);
		for (let i = 0; i < count; i++) this.start(this.ctx.rng.weighted(MIX), now - LIVE_LAG_MS + this.ctx.rng.between(0, 5 * SECOND));
	}

	/** A live trickle: every `everyMs`, about `perMinute` transactions a minute (busier by day). */
	startTrickle(o: { perMinute?: number; everyMs?: number; onTick?: () => void } = {}): { stop(): Promise<void> } {
		const every = o.everyMs ?? 5 * SECOND;
		const rate = ((o.perMinute ?? 6) * every) / MINUTE;
		this.goLive(Date.now());
		const timer = setInterval(() => {
			const now = Date.now();
			const expected = rate * (0.4 + busyness(now));
			const count = Math.floor(expected) + (this.ctx.rng.chance(expected % 1) ? 1 : 0);
			this.tick(now, count);
			o.onTick?.();
		}, every);
		return {
			stop: async () => {
				clearInterval(timer);
				await this.telemetry.flush();
			}
		};
	}

	/** Handle a replay/retry webhook: re-run the step now and export its telemetry. */
	async reprocess(data: ActionData, now = Date.now()): Promise<ReprocessResult> {
		this.horizon = Math.max(this.horizon, now);
		const result = reprocess(this.ctx, data, now);
		await this.telemetry.flush();
		return result;
	}

	async flush(): Promise<void> {
		await this.telemetry.flush();
	}

	async shutdown(): Promise<void> {
		await this.telemetry.shutdown();
	}

	private start(kind: TransactionKind, t: number): void {
		this.started.set(kind, (this.started.get(kind) ?? 0) + 1);
		START[kind](this.ctx, t);
	}

	private push(p: Pending): void {
		// keep sorted by time (then insertion), so due work runs in the order it happened
		let i = this.pending.length;
		while (i > 0 && (this.pending[i - 1].at > p.at || (this.pending[i - 1].at === p.at && this.pending[i - 1].seq > p.seq))) i--;
		this.pending.splice(i, 0, p);
	}

	private runDue(now: number): void {
		while (this.pending.length && this.pending[0].at <= now) {
			const p = this.pending.shift()!;
			p.fn(p.at);
		}
	}
}

/**
 * How busy the estate is at `t`, 0..1: a US distributor (Central time, UTC−6) works weekdays
 * 07:00–18:00 with a lunch dip; nights and weekends still see EDI and inventory traffic.
 */
export function busyness(t: number): number {
	const local = new Date(t - 6 * HOUR);
	const day = local.getUTCDay();
	const h = local.getUTCHours() + local.getUTCMinutes() / 60;
	const weekend = day === 0 || day === 6;
	const office = h >= 7 && h < 18 ? (h >= 12 && h < 13 ? 0.75 : 1) : h >= 6 && h < 20 ? 0.45 : 0.12;
	return weekend ? office * 0.3 : office;
}

/** Outages in the backfill window, on working days: an ERP outage ~2 days ago, a web-shop outage ~5 days ago. */
export function incidentsFor(now: number, days: number): Incident[] {
	const at = (daysAgo: number, utcHour: number) => {
		let day = Math.floor((now - daysAgo * DAY) / DAY) * DAY;
		while ([0, 6].includes(new Date(day).getUTCDay())) day -= DAY;
		return day + utcHour * HOUR;
	};
	const out: Incident[] = [];
	if (days >= 4) out.push({ target: 'erp', from: at(2, 16) + 10 * MINUTE, to: at(2, 16) + 38 * MINUTE });
	if (days >= 7) out.push({ target: 'ecommerce', from: at(5, 19), to: at(5, 19) + 18 * MINUTE });
	return out.filter((i) => i.to < now - LIVE_LAG_MS);
}
