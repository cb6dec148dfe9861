/**
 * The lineage timeline's time axis: a linear scale over the activity, with quiet stretches cut out
 * as breaks of a fixed width, and ticks at round times per segment.
 */

export interface Stretch {
	start: number;
	end: number;
}

/**
 * Quiet stretches (at least 5 minutes and 20 % of the whole, e.g. a supplier answering hours
 * later) between merged activity intervals, padded so the activity at both ends stays in view.
 */
export function quietStretches(intervals: [number, number][]): Stretch[] {
	const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
	if (sorted.length < 2) return [];
	const merged: [number, number][] = [];
	for (const [s, e] of sorted) {
		const last = merged[merged.length - 1];
		if (last && s <= last[1]) last[1] = Math.max(last[1], e);
		else merged.push([s, e]);
	}
	const total = merged[merged.length - 1][1] - merged[0][0];
	const out: Stretch[] = [];
	for (let i = 1; i < merged.length; i++) {
		const quiet = merged[i][0] - merged[i - 1][1];
		if (quiet < 5 * 60_000 || quiet < total * 0.2) continue;
		const pad = Math.min(quiet * 0.05, 30_000);
		out.push({ start: merged[i - 1][1] + pad, end: merged[i][0] - pad });
	}
	return out;
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1_800e3, 3_600e3, 7_200e3, 10_800e3, 21_600e3, 43_200e3, 86_400e3];
/** width of a break on the axis, px */
const BREAK_PX = 28;
/** at least this many px between ticks */
const TICK_PX = 110;

export interface Axis {
	x: (t: number) => number;
	breaks: { x: number; w: number; ms: number }[];
	/** tick time, position, and whether labels need milliseconds */
	ticks: { t: number; x: number; ms: boolean }[];
}

/** Maps times in the intervals' extent (minus the breaks) onto [x0, x1] px. */
export function axis(intervals: [number, number][], breaks: Stretch[], x0: number, x1: number): Axis {
	if (intervals.length === 0) return { x: () => x0, breaks: [], ticks: [] };
	let min = Math.min(...intervals.map((i) => i[0]));
	let max = Math.max(...intervals.map((i) => i[1]));
	if (max - min < 1) {
		min -= 50;
		max += 50;
	}
	// a little room at both ends
	const pad = (max - min) * 0.04;
	min -= pad;
	max += pad;
	const segments: [number, number][] = [];
	let from = min;
	for (const b of breaks) {
		segments.push([from, b.start]);
		from = b.end;
	}
	segments.push([from, max]);
	const active = segments.reduce((s, [a, b]) => s + (b - a), 0);
	const px = (x1 - x0 - breaks.length * BREAK_PX) / active;
	const starts: number[] = [];
	let cursor = x0;
	for (const [a, b] of segments) {
		starts.push(cursor);
		cursor += (b - a) * px + BREAK_PX;
	}
	const x = (t: number) => {
		for (let i = segments.length - 1; i >= 0; i--) if (t >= segments[i][0] || i === 0) return starts[i] + (Math.min(t, segments[i][1]) - segments[i][0]) * px;
		return x0;
	};
	const ticks: Axis['ticks'] = [];
	for (const [a, b] of segments) {
		const span = b - a;
		const n = Math.max(1, Math.floor((span * px) / TICK_PX));
		const step = STEPS.find((s) => span / s <= n) ?? STEPS[STEPS.length - 1];
		// labels are ~80 px wide, centred: none so close to the right end that it would be cut
		for (let t = Math.ceil(a / step) * step; t <= b; t += step) if (x(t) <= x1 - 40) ticks.push({ t, x: x(t), ms: step < 1000 });
	}
	return {
		x,
		breaks: breaks.map((b, i) => ({ x: starts[i] + (segments[i][1] - segments[i][0]) * px, w: BREAK_PX, ms: b.end - b.start })),
		ticks
	};
}
