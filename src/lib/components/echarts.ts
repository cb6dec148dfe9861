/**
 * The parts of ECharts the console draws with, registered once: line, bar, scatter and custom
 * series on a grid, with tooltips, legends, in-chart zoom and target lines, on canvas. Importing
 * `echarts/core` with these instead of the whole library keeps the lazily loaded chunk to what
 * the pages use (the full build registers ~40 chart and component types). Only Chart.svelte
 * imports this module, dynamically, so pages without a chart never download it.
 */
import { init, use } from 'echarts/core';
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomInsideComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([LineChart, BarChart, ScatterChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, DataZoomInsideComponent, MarkLineComponent, CanvasRenderer]);

export { init };
