/**
 * A small Prometheus metrics registry: counters and histograms with labels, rendered in the text
 * exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/). One registry per
 * process (on globalThis, so the SvelteKit bundle and the CLI share it).
 *
 *   const deliveries = counter('syncscope_action_deliveries_total', 'Action webhook deliveries', ['outcome']);
 *   deliveries.inc({ outcome: 'delivered' });
 */
import { createHash, timingSafeEqual } from 'node:crypto';
export type Labels = Record<string, string | number>;

interface Metric {
	name: string;
	help: string;
	render(): string[];
}

export interface Counter {
	inc(labels?: Labels, by?: number): void;
	get(labels?: Labels): number;
}

export interface Histogram {
	observe(value: number, labels?: Labels): void;
	/** start a timer; the returned function observes the elapsed seconds */
	startTimer(labels?: Labels): (extra?: Labels) => number;
	count(labels?: Labels): number;
}

export interface Gauge {
	set(value: number, labels?: Labels): void;
	get(labels?: Labels): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** seconds: from a cached page (5 ms) to a slow report (10 s) */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KEY = Symbol.for('syncscope.metrics');
type G = typeof globalThis & { [KEY]?: Map<string, Metric & { kind: string }> };

function registry(): Map<string, Metric & { kind: string }> {
	return ((globalThis as G)[KEY] ??= new Map());
}

function escapeLabel(v: string): string {
	return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], labels: Labels = {}): string {
	for (const k of Object.keys(labels)) if (!names.includes(k)) throw new TypeError(`unknown label ${k}`);
	return names.map((n) => `${n}="${escapeLabel(String(labels[n] ?? ''))}"`).join(',');
}

function register<M extends Metric>(kind: string, name: string, labelNames: readonly string[], make: () => M): M {
	if (!NAME.test(name)) throw new TypeError(`invalid metric name ${name}`);
	for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new TypeError(`invalid label name ${l}`);
	const existing = registry().get(name);
	if (existing) {
		// re-registering (a module loaded twice, or HMR) returns the first one rather than splitting counts
		if (existing.kind !== kind) throw new TypeError(`metric ${name} already registered as ${existing.kind}`);
		return existing as unknown as M;
	}
	const m = make();
	registry().set(name, Object.assign(m, { kind }));
	return m;
}

/** A monotonically increasing count. */
export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
	return register('counter', name, labelNames, () => {
		const values = new Map<string, number>();
		return {
			name,
			help,
			inc(labels?: Labels, by = 1) {
				if (by < 0) throw new RangeError('a counter only goes up');
				const k = labelKey(labelNames, labels);
				values.set(k, (values.get(k) ?? 0) + by);
			},
			get: (labels?: Labels) => values.get(labelKey(labelNames, labels)) ?? 0,
			render: () => [...values].map(([k, v]) => `${name}${k ? `{${k}}` : ''} ${v}`)
		};
	});
}

/** A value that goes up and down (queue depth, in-flight requests). */
export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
	return register('gauge', name, labelNames, () => {
		const values = new Map<string, number>();
		return {
			name,
			help,
			set: (value: number, labels?: Labels) => void values.set(labelKey(labelNames, labels), value),
			get: (labels?: Labels) => values.get(labelKey(labelNames, labels)) ?? 0,
			render: () => [...values].map(([k, v]) => `${name}${k ? `{${k}}` : ''} ${v}`)
		};
	});
}

/** A distribution in cumulative buckets (latency, batch size). */
export function histogram(name: string, help: string, labelNames: readonly string[] = [], buckets = DEFAULT_BUCKETS): Histogram {
	const bounds = [...buckets].sort((a, b) => a - b);
	return register('histogram', name, labelNames, () => {
		const series = new Map<string, { counts: number[]; sum: number; count: number }>();
		const observe = (value: number, labels?: Labels) => {
			const k = labelKey(labelNames, labels);
			let s = series.get(k);
			if (!s) series.set(k, (s = { counts: bounds.map(() => 0), sum: 0, count: 0 }));
			for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]) s.counts[i]++;
			s.sum += value;
			s.count++;
		};
		return {
			name,
			help,
			observe,
			startTimer(labels?: Labels) {
				const t0 = process.hrtime.bigint();
				return (extra?: Labels) => {
					const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
					observe(seconds, { ...labels, ...extra });
					return seconds;
				};
			},
			count: (labels?: Labels) => series.get(labelKey(labelNames, labels))?.count ?? 0,
			render() {
				const lines: string[] = [];
				for (const [k, s] of series) {
					const sep = k ? `${k},` : '';
					bounds.forEach((b, i) => lines.push(`${name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
					lines.push(`${name}_bucket{${sep}le="+Inf"} ${s.count}`);
					lines.push(`${name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
					lines.push(`${name}_count${k ? `{${k}}` : ''} ${s.count}`);
				}
				return lines;
			}
		};
	});
}

/** Every registered metric in the Prometheus text format (version 0.0.4). */
export function exposition(): string {
	const out: string[] = [];
	for (const m of registry().values()) {
		out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
		out.push(`# TYPE ${m.name} ${m.kind}`);
		out.push(...m.render());
	}
	return out.join('\n') + '\n';
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Forget every metric (tests only). */
export function resetMetrics(): void {
	registry().clear();
}

/**
 * GET /metrics on every port (console, collector OTLP/HTTP, collector operations): with a metrics
 * token configured, only `Authorization: Bearer <token>` is served (compared in constant time).
 */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
	if (!token) return true;
	const given = createHash('sha256').update(String(authorization ?? '')).digest();
	const want = createHash('sha256').update(`Bearer ${token}`).digest();
	return timingSafeEqual(given, want);
}
