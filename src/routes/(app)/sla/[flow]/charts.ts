/** ECharts options for the flow page (built from the loader's plain data). */
import type { EChartsOption } from 'echarts';
import { duration, percent } from '$lib/sla/format';
import type { FlowPageData } from '$lib/server/sla/flow-page';

const C = { ok: '#3b6fe0', fail: '#d92d20', p50: '#7aa2f7', p95: '#1f4fd1', p99: '#0b1f66', target: '#f0a30a', muted: '#98a2b3', dl: '#b42318', replay: '#7c3aed', dup: '#0e9384' };

const base = (): EChartsOption => ({
	animation: false,
	grid: { left: 56, right: 56, top: 36, bottom: 28 },
	legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
	tooltip: { trigger: 'axis' },
	xAxis: { type: 'time', axisLine: { lineStyle: { color: '#d0d5dd' } }, axisLabel: { color: '#667085', fontSize: 11 } }
});

const msAxis = { type: 'value' as const, min: 0, axisLabel: { formatter: (v: number) => duration(v), color: '#667085', fontSize: 11 }, splitLine: { lineStyle: { color: '#f2f4f7' } } };
const countAxis = { type: 'value' as const, min: 0, minInterval: 1, axisLabel: { color: '#667085', fontSize: 11 }, splitLine: { lineStyle: { color: '#f2f4f7' } } };

const target = (name: string, v: number | null) =>
	v === null ? undefined : { silent: true, symbol: 'none', lineStyle: { color: C.target, type: 'dashed' as const }, label: { formatter: `${name} ${duration(v)}`, position: 'insideEndTop' as const, color: '#a15c07', fontSize: 10 }, data: [{ yAxis: v }] };

export function volumeChart(d: FlowPageData): EChartsOption {
	return {
		...base(),
		yAxis: [countAxis, { type: 'value', min: (v: { min: number }) => Math.max(0, Math.floor(v.min * 100) / 100), max: 1, axisLabel: { formatter: (v: number) => percent(v, 0), color: '#667085', fontSize: 11 }, splitLine: { show: false } }],
		series: [
			{ name: 'Succeeded', type: 'bar', stack: 'tx', itemStyle: { color: C.ok }, barMaxWidth: 14, data: d.series.map((s) => [s.t, s.succeeded]) },
			{ name: 'Failed', type: 'bar', stack: 'tx', itemStyle: { color: C.fail }, barMaxWidth: 14, data: d.series.map((s) => [s.t, s.failed]) },
			{ name: 'Success rate', type: 'line', yAxisIndex: 1, showSymbol: false, lineStyle: { color: '#12b76a', width: 1.5 }, itemStyle: { color: '#12b76a' }, data: d.series.filter((s) => s.total > 0).map((s) => [s.t, s.successRate]) }
		],
		tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' && v <= 1 && v > 0 && !Number.isInteger(v) ? percent(v) : String(v)) }
	};
}

export function latencyChart(d: FlowPageData, objective: number | null): EChartsOption {
	const pts = d.series.filter((s) => s.e2eMs.p50 !== null);
	return {
		...base(),
		yAxis: msAxis,
		tooltip: { trigger: 'axis', valueFormatter: (v) => duration(Number(v)) },
		series: [
			{ name: 'p50', type: 'line', showSymbol: false, lineStyle: { color: C.p50 }, itemStyle: { color: C.p50 }, data: pts.map((s) => [s.t, s.e2eMs.p50]) },
			{ name: 'p95', type: 'line', showSymbol: false, lineStyle: { color: C.p95, width: 2 }, itemStyle: { color: C.p95 }, data: pts.map((s) => [s.t, s.e2eMs.p95]), markLine: target('objective p95', objective) },
			{ name: 'p99', type: 'line', showSymbol: false, lineStyle: { color: C.p99, type: 'dotted' }, itemStyle: { color: C.p99 }, data: pts.map((s) => [s.t, s.e2eMs.p99]) }
		]
	};
}

export function milestoneChart(d: FlowPageData): EChartsOption {
	const entries = Object.entries(d.milestones);
	const palette = ['#1f4fd1', '#7c3aed', '#0e9384', '#c11574'];
	return {
		...base(),
		yAxis: msAxis,
		tooltip: { trigger: 'axis', valueFormatter: (v) => duration(Number(v)) },
		series: entries.map(([name, m], i) => ({
			name: `${name} p95`,
			type: 'line' as const,
			showSymbol: false,
			lineStyle: { color: palette[i % palette.length] },
			itemStyle: { color: palette[i % palette.length] },
			data: m.series.filter((s) => s.p95 !== null).map((s) => [s.t, s.p95]),
			markLine: i === 0 ? target('target', m.target) : undefined
		}))
	};
}

export function eventDelayChart(d: FlowPageData, objective: number | null): EChartsOption {
	const pts = d.series.filter((s) => s.eventDelayMs.p95 !== null);
	return {
		...base(),
		yAxis: msAxis,
		tooltip: { trigger: 'axis', valueFormatter: (v) => duration(Number(v)) },
		series: [
			{ name: 'p50', type: 'line', showSymbol: false, lineStyle: { color: C.p50 }, itemStyle: { color: C.p50 }, data: pts.map((s) => [s.t, s.eventDelayMs.p50]) },
			{ name: 'p95', type: 'line', showSymbol: false, lineStyle: { color: C.p95, width: 2 }, itemStyle: { color: C.p95 }, data: pts.map((s) => [s.t, s.eventDelayMs.p95]), markLine: target('objective', objective) }
		]
	};
}

export function problemsChart(d: FlowPageData): EChartsOption {
	return {
		...base(),
		yAxis: countAxis,
		series: [
			{ name: 'Dead letters', type: 'bar', barMaxWidth: 10, itemStyle: { color: C.dl }, data: d.deadLetterSeries.map((s) => [s.t, s.n]) },
			{ name: 'Replays', type: 'bar', barMaxWidth: 10, itemStyle: { color: C.replay }, data: d.series.filter((s) => s.replays > 0).map((s) => [s.t, s.replays]) },
			{ name: 'Duplicates', type: 'bar', barMaxWidth: 10, itemStyle: { color: C.dup }, data: d.series.filter((s) => s.duplicates > 0).map((s) => [s.t, s.duplicates]) }
		]
	};
}
