/** The JSON logger and the metrics registry's text exposition. */
import { describe, expect, it } from 'vitest';
import { configureLogging, logger, traceFromTraceparent } from '../../src/lib/server/log';
import { counter, exposition, gauge, histogram, resetMetrics } from '../../src/lib/server/metrics';

describe('logger', () => {
	it('writes one JSON object per line with trace_id/span_id, honouring the level', () => {
		const out: string[] = [];
		const err: string[] = [];
		configureLogging({ level: 'info', sink: { out: (l) => out.push(l), err: (l) => err.push(l) } });
		const log = logger('test').child({ requestId: 'r1' });
		log.debug('hidden');
		log.info('inserted', { rows: 3, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
		log.error('failed', { err: Object.assign(new Error('boom', { cause: new Error('root') }), { code: 'E1' }) });
		expect(out).toHaveLength(1);
		const line = JSON.parse(out[0]);
		expect(line).toMatchObject({ level: 'info', msg: 'inserted', component: 'test', requestId: 'r1', rows: 3, trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
		expect(Date.parse(line.time)).not.toBeNaN();
		expect(JSON.parse(err[0]).err).toEqual({ name: 'Error', message: 'boom', code: 'E1', cause: { name: 'Error', message: 'root' } });
	});

	it('reads trace and span from a traceparent header, and nothing from a malformed one', () => {
		expect(traceFromTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
		expect(traceFromTraceparent('garbage')).toEqual({});
	});
});

describe('metrics registry', () => {
	it('renders counters, gauges and cumulative histogram buckets', () => {
		resetMetrics();
		const c = counter('t_requests_total', 'Requests', ['code']);
		c.inc({ code: 200 });
		c.inc({ code: 200 }, 2);
		c.inc({ code: 'a"b' });
		gauge('t_queue', 'Queue depth').set(5);
		const h = histogram('t_latency_seconds', 'Latency', ['route'], [0.1, 1]);
		h.observe(0.05, { route: '/x' });
		h.observe(0.5, { route: '/x' });
		h.observe(3, { route: '/x' });
		const text = exposition();
		expect(text).toContain('# TYPE t_requests_total counter\nt_requests_total{code="200"} 3\nt_requests_total{code="a\\"b"} 1');
		expect(text).toContain('t_queue 5');
		expect(text).toContain('t_latency_seconds_bucket{route="/x",le="0.1"} 1\nt_latency_seconds_bucket{route="/x",le="1"} 2\nt_latency_seconds_bucket{route="/x",le="+Inf"} 3');
		expect(text).toContain('t_latency_seconds_sum{route="/x"} 3.55');
		expect(text).toContain('t_latency_seconds_count{route="/x"} 3');
	});

	it('refuses bad names, unknown labels and negative counts; re-registering returns the same metric', () => {
		resetMetrics();
		expect(() => counter('bad name', 'x')).toThrow(TypeError);
		const c = counter('t_x_total', 'x', ['a']);
		expect(() => c.inc({ b: 1 })).toThrow(TypeError);
		expect(() => c.inc({ a: 1 }, -1)).toThrow(RangeError);
		c.inc({ a: 1 });
		expect(counter('t_x_total', 'x', ['a']).get({ a: 1 })).toBe(1);
		expect(() => gauge('t_x_total', 'x')).toThrow(/already registered as counter/);
	});
});
