/** ECharts option of the reconciliation trend: per bucket, the states of one target stacked, and the source keys. */
import type { EChartsOption } from 'echarts';
import type { RuleResult } from '$lib/server/reconciliation/schemas';

export const STATE_COLOURS = {
	matched: '#3b6fe0',
	mismatched: '#f0a30a',
	duplicated: '#7c3aed',
	pending: '#98a2b3',
	missing: '#d92d20',
	absent: '#d0d5dd',
	unexpected: '#0e9384'
} as const;

export function trendChart(rule: RuleResult, system: string): EChartsOption {
	const states = Object.keys(STATE_COLOURS) as (keyof typeof STATE_COLOURS)[];
	return {
		animation: false,
		grid: { left: 48, right: 16, top: 36, bottom: 28 },
		legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
		tooltip: { trigger: 'axis' },
		xAxis: { type: 'time', axisLabel: { fontSize: 11, formatter: '{HH}:{mm}' } },
		yAxis: { type: 'value', min: 0, minInterval: 1, name: 'keys', nameTextStyle: { fontSize: 10 }, axisLabel: { fontSize: 11 } },
		series: [
			...states.map((s) => ({
				name: s,
				type: 'bar' as const,
				stack: 'keys',
				barMaxWidth: 18,
				itemStyle: { color: STATE_COLOURS[s] },
				data: rule.trend.map((b) => [b.at, b.targets[system]?.[s] ?? 0])
			})),
			{ name: `left ${rule.source.system}`, type: 'line' as const, showSymbol: true, symbolSize: 4, lineStyle: { color: '#101828', width: 1.5 }, itemStyle: { color: '#101828' }, data: rule.trend.map((b) => [b.at, b.sourceKeys]) }
		]
	};
}
