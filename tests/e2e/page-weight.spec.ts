/**
 * What each page makes the browser download before anyone touches it (JS at gzip size, see
 * fixtures/page-weight.ts), against a budget per page; the charting library only where a chart is;
 * documents compressed on the wire. On the demo's data, signed in as the executive.
 */
import { demoTest as test, expect } from './fixtures/demo-test';
import { measurePage, observeLongTasks } from './fixtures/page-weight';

const KB = 1024;

test.describe('page weight', () => {
	test('initial JS per page stays within its budget; only charting pages load the chart code', async ({ page, signInAs, demo }) => {
		test.setTimeout(180_000);
		await page.setViewportSize({ width: 1440, height: 900 });
		await observeLongTasks(page);
		await signInAs(page, 'admin');
		const budgets = [
			{ path: '/sla?range=24h', kb: 150, charts: false },
			{ path: '/sla/order-to-cash?range=24h', kb: 330, charts: true },
			{ path: `/lineage/${demo.orderId}`, kb: 150, charts: false },
			{ path: '/exceptions', kb: 150, charts: false },
			{ path: '/alerts', kb: 150, charts: false }
		];
		const report: string[] = [];
		for (const b of budgets) {
			const w = await measurePage(page, b.path);
			report.push(`${b.path.replace(demo.orderId, '<order>')}: ${(w.jsGzipBytes / KB).toFixed(1)} KB gz JS in ${w.jsFiles.length} files, HTML ${w.htmlTransferBytes} B (${w.htmlEncoding || 'none'}), interactive ${w.interactiveMs} ms`);
			expect(w.htmlEncoding, `${b.path} is sent compressed`).toMatch(/^(br|gzip)$/);
			expect(w.jsGzipBytes / KB, `${b.path} initial JS (KB gzipped)`).toBeLessThanOrEqual(b.kb);
			// the chart code is one lazily loaded chunk of its own: present exactly where charts are
			const chartChunk = await Promise.all(w.jsFiles.map(async (f) => (await (await page.request.get(f)).text()).includes('_echarts_instance_')));
			expect(chartChunk.some(Boolean), `${b.path} loads the chart code`).toBe(b.charts);
		}
		test.info().annotations.push({ type: 'page weight', description: report.join('\n') });
		console.log(report.join('\n'));
	});
});
