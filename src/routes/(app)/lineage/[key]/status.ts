/** Outcome and health → the console's status colours (ok / warn / fail), shared by the views. */
export const COLORS = { ok: '#2da44e', warn: '#d4a72c', fail: '#cf222e', info: '#8c959f', accent: '#1f6feb' };

export function outcomeTone(outcome: string): 'ok' | 'warn' | 'fail' | 'info' {
	if (outcome === 'success') return 'ok';
	if (outcome === 'failed' || outcome === 'rejected') return 'fail';
	if (outcome === 'duplicate') return 'warn';
	return 'info';
}

export function outcomeColor(outcome: string): string {
	return COLORS[outcomeTone(outcome)];
}

/** `?span=` values: a span is "<traceId>:<spanId>", a log event "log:<index>". */
export const spanRef = (traceId: string, spanId: string) => `${traceId}:${spanId}`;
export const logRef = (i: number) => `log:${i}`;
