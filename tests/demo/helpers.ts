/** Run the simulator into in-memory exporters and read back what it emitted. */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Simulator } from '../../demo/simulator';
import { memorySinks } from '../../demo/telemetry';

export interface Emitted {
	sim: Simulator;
	sinks: ReturnType<typeof memorySinks>;
	spans: ReadableSpan[];
	logs: ReadableLogRecord[];
}

export async function backfilled(o: { seed?: string; now: number; transactions: number; days?: number }): Promise<Emitted> {
	const sinks = memorySinks();
	const sim = new Simulator({ seed: o.seed ?? 'test', sinks });
	await sim.backfill({ now: o.now, transactions: o.transactions, days: o.days ?? 7 });
	await sim.flush();
	return { sim, sinks, spans: [...sinks.spans.getFinishedSpans()], logs: [...sinks.logs.getFinishedLogRecords()] };
}

export const attr = (s: { attributes: Record<string, unknown> }, k: string) => s.attributes[`integration.${k}`];
export const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
