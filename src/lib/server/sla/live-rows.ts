/** The rows the live figures keep (live.ts), as read from ClickHouse: one fixed-shape literal each. */
import { BlockMirror, type Stored } from './live-store';
import { addBins, type Bins } from './sketch';

export interface TxUnit {
	total: number;
	succeeded: number;
	failed: number;
	duplicates: number;
	replays: number;
	e2eN: number;
	e2e: Bins;
	delayN: number;
	delay: Bins;
	failedAmount: Record<string, number>;
	succeededAmount: Record<string, number>;
	reached: Record<string, number>;
	/** per 'step\x1Fcurrency' */
	reachedAmount: Record<string, number>;
}

export interface MilestoneUnit {
	n: number;
	lat: Bins;
	waiting: number;
	/** earliest and latest start of the waiting milestones' from step, ms */
	waitMin: number;
	waitMax: number;
}

/** One step of a flow in an hour or a minute (sla_step_minute): distinct spans, failed spans, duration bins. */
export interface StepUnit {
	spans: number;
	failed: number;
	bins: Bins;
}

/** A transaction at risk as the drill-down lists it (sla_transactions columns). */
export interface RiskTx {
	id: string;
	/** start, ms */
	start: number;
	outcome: string;
	step: string;
	system: string;
	partner: string;
	errClass: string;
	errCode: string;
	currency: string;
	amount: number;
}

export const RISK_COLUMNS = `CorrelationId AS id, toUnixTimestamp64Milli(Start) AS start, Outcome AS outcome, Step AS step, System AS system,
	Partner AS partner, ErrClass AS errClass, ErrCode AS errCode, Currency AS currency, Amount AS amount`;
export const decodeRisk = (r: Record<string, unknown>): RiskTx => ({
	id: r.id as string,
	start: Number(r.start),
	outcome: r.outcome as string,
	step: r.step as string,
	system: r.system as string,
	partner: r.partner as string,
	errClass: r.errClass as string,
	errCode: r.errCode as string,
	currency: r.currency as string,
	amount: Number(r.amount)
});

const bins = (k: unknown, c: unknown): Bins => ({ k: k as number[], c: (c as unknown[]).map(Number) });

export const TX_COLUMNS = `Total AS total, Succeeded AS succeeded, Failed AS failed, Duplicates AS duplicates, Replays AS replays,
	E2EN AS e2eN, mapKeys(E2EH) AS ek, mapValues(E2EH) AS ec, DelayN AS delayN, mapKeys(DelayH) AS dk, mapValues(DelayH) AS dc,
	FailedAmount AS failedAmount, SucceededAmount AS succeededAmount, Reached AS reached, ReachedAmount AS reachedAmount`;
export const decodeTx = (r: Record<string, unknown>, v: bigint, del: boolean): Stored<TxUnit> => ({
	v,
	del,
	total: Number(r.total),
	succeeded: Number(r.succeeded),
	failed: Number(r.failed),
	duplicates: Number(r.duplicates),
	replays: Number(r.replays),
	e2eN: Number(r.e2eN),
	e2e: bins(r.ek, r.ec),
	delayN: Number(r.delayN),
	delay: bins(r.dk, r.dc),
	failedAmount: r.failedAmount as Record<string, number>,
	succeededAmount: r.succeededAmount as Record<string, number>,
	reached: r.reached as Record<string, number>,
	reachedAmount: r.reachedAmount as Record<string, number>
});
export const MS_COLUMNS = `N AS n, mapKeys(LatH) AS lk, mapValues(LatH) AS lc, Waiting AS waiting,
	toUnixTimestamp64Milli(WaitMin) AS waitMin, toUnixTimestamp64Milli(WaitMax) AS waitMax`;
export const decodeMs = (r: Record<string, unknown>, v: bigint, del: boolean): Stored<MilestoneUnit> => ({
	v,
	del,
	n: Number(r.n),
	lat: bins(r.lk, r.lc),
	waiting: Number(r.waiting),
	waitMin: Number(r.waitMin),
	waitMax: Number(r.waitMax)
});

export const stepMirror = () =>
	new BlockMirror<StepUnit>(
		'sla_step_minute',
		`concat(Flow, '\\x1F', Step)`,
		`uniqExactMerge(Spans) AS spans, uniqExactMerge(FailedSpans) AS failed, sumMapMerge(DurationH) AS b`,
		(r) => {
			const b = r.b as [number[], number[]];
			return { v: 0n, del: false, spans: Number(r.spans), failed: Number(r.failed), bins: { k: b[0], c: b[1].map(Number) } };
		},
		(units) => {
			const acc = new Map<number, number>();
			let [spans, failed] = [0, 0];
			for (const u of units) {
				spans += u.spans;
				failed += u.failed;
				addBins(acc, u.bins);
			}
			return { v: 0n, del: false, spans, failed, bins: { k: [...acc.keys()], c: [...acc.values()] } };
		}
	);

/** Dead-letter records per flow (a record has one step, so distinct per flow and minute = the sum over steps). */
export const deadLetterMirror = () =>
	new BlockMirror<{ n: number }>(
		'sla_dead_letters_minute',
		'Flow',
		'uniqExactMerge(Records) AS n',
		(r) => ({ v: 0n, del: false, n: Number(r.n) }),
		(units) => ({ v: 0n, del: false, n: units.reduce((a, u) => a + u.n, 0) })
	);

