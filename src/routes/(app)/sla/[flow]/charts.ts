/**
 * ECharts options for the flow page (built from the loader's plain data). One style per kind of
 * figure, whatever the range: volumes are stacked bars, rates and latencies are lines with their
 * points marked where data is sparse, every axis in one unit chosen for its largest value.
 */
import type { EChartsOption } from 'echarts';
import { count, duration, durationInterval, durationTick, rate } from '$lib/sla/format';
import type { FlowPageData } from '$lib/server/sla/flow-page';

const C = { ok: '#3b6fe0', fail: '#d92d20', rate: '#12b76a', p50: '#7aa2f7', p95: '#1f4fd1', p99: '#6d28d9', target: '#f0a30a', dl: '#b42318', replay: '#7c3aed', dup: '#0e9384' };

/** A bucket's success rate is drawn only from this many transactions: 1 of 1 failed is not "0 %". */
export const MIN_RATE_VOLUME = 5;

const base = (): EChartsOption => ({
	animation: false,
	grid: { left: 64, right: 64, top: 36, bottom: 28 },
	legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
	tooltip: { trigger: 'axis' },
	xAxis: { type: 'time', axisLabel: { fontSize: 11 } }
});

const countAxis = { type: 'value' as const, min: 0, minInterval: 1, axisLabel: { fontSize: 11 } };

/** A duration axis in one unit, for values up to maxMs (the objective line included when drawn). */
function msAxis(maxMs: number) {
	const interval = durationInterval(maxMs);
	// the top of the axis on a tick too, so the last label is round ("2 h", not "1.9 h")
	const max = interval ? (v: { max: number }) => Math.max(interval, Math.ceil(v.max / interval) * interval) : undefined;
	return { type: 'value' as const, min: 0, max, interval, axisLabel: { formatter: durationTick(maxMs), fontSize: 11 } };
}

/** Lines over sparse buckets would draw nothing between isolated points: mark the points then. */
const sparse = (n: number) => ({ showSymbol: n <= 48, symbolSize: 5 });

/**
 * An objective line when it is on the scale of the data (at most 3× the largest value); otherwise
 * the objective would squash the data to the bottom, so it goes into the series' legend name.
 */
function target(name: string, v: number | null, dataMax: number) {
	if (v === null || dataMax <= 0 || v > dataMax * 3) return undefined;
	return { silent: true, symbol: 'none', lineStyle: { color: C.target, type: 'dashed' as const }, label: { formatter: `${name} ${duration(v)}`, position: 'insideEndTop' as const, color: '#a15c07', fontSize: 10 }, data: [{ yAxis: v }] };
}
const offScale = (v: number | null, dataMax: number) => (v !== null && dataMax > 0 && v > dataMax * 3 ? ` (objective ${duration(v)}, off the scale)` : '');
const maxOf = (xs: (number | null)[]) => xs.reduce<number>((m, x) => (x !== null && x > m ? x : m), 0);

/** Stacked succeeded/failed bars with the success rate of buckets that have the volume to mean something. */
export function volumeChart(d: FlowPageData): EChartsOption {
	const rated = d.series.map((s) => [s.t, s.total >= MIN_RATE_VOLUME ? s.successRate : null, s.total] as [string, number | null, number]);
	const low = Math.min(1, ...rated.flatMap(([, r]) => (r === null ? [] : [r])));
	return {
		...base(),
		yAxis: [
			{ ...countAxis, name: 'transactions', nameTextStyle: { fontSize: 10 } },
			{ type: 'value', min: low >= 0.9 ? 0.9 : low >= 0.5 ? 0.5 : 0, max: 1, splitLine: { show: false }, axisLabel: { formatter: (v: number) => rate(v, 0), fontSize: 11 } }
		],
		series: [
			{ name: 'Succeeded', type: 'bar', stack: 'tx', itemStyle: { color: C.ok }, barMaxWidth: 14, data: d.series.map((s) => [s.t, s.succeeded]) },
			{ name: 'Failed', type: 'bar', stack: 'tx', itemStyle: { color: C.fail }, barMaxWidth: 14, data: d.series.map((s) => [s.t, s.failed]) },
			{ name: `Success rate (buckets of ${MIN_RATE_VOLUME}+)`, type: 'line', yAxisIndex: 1, connectNulls: false, ...sparse(rated.filter(([, r]) => r !== null).length), lineStyle: { color: C.rate, width: 1.5 }, itemStyle: { color: C.rate }, data: rated }
		],
		tooltip: {
			trigger: 'axis',
			formatter: (ps: unknown) => {
				const list = ps as { seriesName: string; marker: string; value: [string, number | null, number?]; axisValueLabel: string }[];
				const rows = list.map((p) => `${p.marker}${p.seriesName}: <b>${p.seriesName.startsWith('Success') ? (p.value[1] === null ? `— (${count(p.value[2] ?? 0)} transactions)` : rate(p.value[1])) : count(p.value[1])}</b>`);
				return [list[0]?.axisValueLabel ?? '', ...rows].join('<br/>');
			}
		}
	};
}

function quantileLines(pts: { t: string; p50: number | null; p95: number | null; p99?: number | null }[], objective: number | null, objectiveName: string): EChartsOption {
	const max = maxOf(pts.flatMap((s) => [s.p50, s.p95, s.p99 ?? null]));
	const mark = target(objectiveName, objective, max);
	const axisMax = mark ? Math.max(max, objective ?? 0) : max;
	const line = (name: string, color: string, key: 'p50' | 'p95' | 'p99', extra: object = {}) => ({
		name,
		type: 'line' as const,
		...sparse(pts.length),
		lineStyle: { color, width: key === 'p95' ? 2 : 1.5, type: key === 'p99' ? ('dotted' as const) : ('solid' as const) },
		itemStyle: { color },
		data: pts.map((s) => [s.t, s[key] ?? null]),
		...extra
	});
	return {
		...base(),
		yAxis: msAxis(axisMax),
		tooltip: { trigger: 'axis', valueFormatter: (v) => duration(Number(v)) },
		series: [
			line('p50', C.p50, 'p50'),
			line(`p95${offScale(objective, max)}`, C.p95, 'p95', { markLine: mark }),
			...(pts.some((s) => s.p99 !== undefined) ? [line('p99', C.p99, 'p99')] : [])
		]
	};
}

export function latencyChart(d: FlowPageData, objective: number | null): EChartsOption {
	const pts = d.series.filter((s) => s.e2eMs.p50 !== null).map((s) => ({ t: s.t, ...s.e2eMs }));
	return quantileLines(pts, objective, 'objective p95');
}

export function eventDelayChart(d: FlowPageData, objective: number | null): EChartsOption {
	const pts = d.series.filter((s) => s.eventDelayMs.p95 !== null).map((s) => ({ t: s.t, ...s.eventDelayMs }));
	return quantileLines(pts, objective, 'objective');
}

export function milestoneChart(d: FlowPageData): EChartsOption {
	const entries = Object.entries(d.milestones);
	const palette = ['#1f4fd1', '#7c3aed', '#0e9384', '#c11574'];
	const max = maxOf(entries.flatMap(([, m]) => m.series.map((s) => s.p95)));
	const first = entries[0]?.[1];
	const mark = first ? target('target', first.target, max) : undefined;
	return {
		...base(),
		yAxis: msAxis(mark && first ? Math.max(max, first.target) : max),
		tooltip: { trigger: 'axis', valueFormatter: (v) => duration(Number(v)) },
		series: entries.map(([name, m], i) => {
			const pts = m.series.filter((s) => s.p95 !== null);
			return {
				name: `${name} p95${offScale(m.target, max)}`,
				type: 'line' as const,
				...sparse(pts.length),
				lineStyle: { color: palette[i % palette.length] },
				itemStyle: { color: palette[i % palette.length] },
				data: pts.map((s) => [s.t, s.p95]),
				markLine: i === 0 ? mark : undefined
			};
		})
	};
}

/** Dead letters, replays and duplicates: stacked bars per bucket, like every count (side by side they were slivers). */
export function problemsChart(d: FlowPageData): EChartsOption {
	// every bucket of the range, zeros included, so bars have the bucket's width (sparse points make slivers)
	const dl = new Map(d.deadLetterSeries.map((s) => [Date.parse(s.t), s.n]));
	const at = (t: string) => dl.get(Date.parse(t)) ?? 0;
	return {
		...base(),
		yAxis: countAxis,
		series: [
			{ name: 'Dead letters', type: 'bar', stack: 'problems', barMaxWidth: 14, itemStyle: { color: C.dl }, data: d.series.map((s) => [s.t, at(s.t)]) },
			{ name: 'Replays', type: 'bar', stack: 'problems', barMaxWidth: 14, itemStyle: { color: C.replay }, data: d.series.map((s) => [s.t, s.replays]) },
			{ name: 'Duplicates', type: 'bar', stack: 'problems', barMaxWidth: 14, itemStyle: { color: C.dup }, data: d.series.map((s) => [s.t, s.duplicates]) }
		]
	};
}
