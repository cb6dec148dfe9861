/**
 * Fault-test harness: `node bin/syncscope.js collector` as a child process with its own env (temp
 * data dir or CLICKHOUSE_URL, ports 0), waiting for its JSON ready line, sampling its memory from
 * /proc, and stopping it with the signal a test chooses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, cleanEnv } from '../../ops/cli-process';

export interface Ready {
	ready: string;
	otlpHttpPort: number;
	otlpGrpcPort: number;
	opsPort: number;
	pid: number;
}

export interface RunningProcess {
	child: ChildProcess;
	ready: Ready;
	/** resolves with the exit code/signal */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	stderr(): string;
	/** peak resident memory seen so far, in bytes (sampled every 100 ms) */
	peakRss(): number;
	kill(signal: NodeJS.Signals): void;
}

/** Start `syncscope <command>`; rejects if it exits or stays silent for timeoutMs. */
export function startSyncscope(command: 'collector' | 'start', env: Record<string, string>, timeoutMs = 60_000): Promise<RunningProcess> {
	const child = spawn(process.execPath, [BIN, command], {
		env: cleanEnv({ OTLP_HOST: '127.0.0.1', OTLP_HTTP_PORT: '0', OTLP_GRPC_PORT: '0', SYNCSCOPE_OPS_PORT: '0', ...env }),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	let err = '';
	let peak = 0;
	const sampler = setInterval(() => {
		const rss = readRss(child.pid);
		if (rss > peak) peak = rss;
	}, 100);
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.on('exit', (code, signal) => {
			clearInterval(sampler);
			resolve({ code, signal });
		})
	);
	child.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`syncscope ${command} not ready in ${timeoutMs} ms\n${err}`));
		}, timeoutMs);
		void exited.then(({ code, signal }) => {
			clearTimeout(timer);
			reject(new Error(`syncscope ${command} exited before ready (${code ?? signal})\n${err}`));
		});
		child.stdout!.on('data', (d) => {
			out += d;
			const line = out.split('\n').find((l) => l.startsWith('{"ready":'));
			if (!line) return;
			clearTimeout(timer);
			out = '';
			resolve({
				child,
				ready: JSON.parse(line) as Ready,
				exited,
				stderr: () => err,
				peakRss: () => peak,
				kill: (signal) => child.kill(signal)
			});
		});
	});
}

function readRss(pid: number | undefined): number {
	if (!pid) return 0;
	try {
		const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
		return m ? Number(m[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

export const MiB = 1024 * 1024;

/** Sample one gauge from a Prometheus endpoint every 100 ms; max() is the highest value seen. */
export function sampleGauge(url: string, name: string): { max(): number; samples(): number; stop(): void } {
	let max = 0;
	let samples = 0;
	const re = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm');
	const timer = setInterval(() => {
		fetch(url)
			.then((r) => r.text())
			.then((text) => {
				const m = text.match(re);
				if (!m) return;
				samples++;
				max = Math.max(max, Number(m[1]));
			})
			.catch(() => undefined);
	}, 100);
	return { max: () => max, samples: () => samples, stop: () => clearInterval(timer) };
}
