/**
 * Drives a real Node-RED (the npm package) instrumented only by the standard OpenTelemetry Node
 * auto-instrumentation (otel-bootstrap.cjs): the flow in flow.json relays POST /orders to an ERP
 * stub and answers with the ERP's status. What Node-RED exports is exactly what an operator's
 * deployment would send us: no integration.* attributes, just HTTP semantic conventions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startErpStub, type ErpStub, type OrderStatus, type PlannedOrder } from './erp-stub';

export type { ErpRequest, ErpStub, OrderStatus, PlannedOrder } from './erp-stub';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BOOTSTRAP = join(HERE, 'otel-bootstrap.cjs');
const FLOW = join(HERE, 'flow.json');
const RED_JS = createRequire(import.meta.url).resolve('node-red/red.js');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

// Loopback only, no editor or admin API, and nothing that calls out (telemetry, update checks,
// palette installs): Node-RED's settings are a plain CommonJS module.
const SETTINGS = `module.exports = {
	uiHost: '127.0.0.1',
	httpAdminRoot: false,
	disableEditor: true,
	credentialSecret: false,
	telemetry: { enabled: false, updateNotification: false },
	diagnostics: { enabled: false },
	runtimeState: { enabled: false },
	externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
	logging: { console: { level: 'info', metrics: false, audit: false } }
};
`;

export interface NodeRedRun {
	/** Node-RED's HTTP root, e.g. http://127.0.0.1:41234 (the flow serves POST /orders). */
	url: string;
	erp: ErpStub;
	/** Node-RED's stdout and stderr so far. */
	output(): string;
	/** SIGTERM (the SDK flushes its spans), wait for exit, then clean up. */
	stop(): Promise<void>;
}

export interface StartOptions {
	/** OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:4318 */
	otlpEndpoint: string;
	serviceName?: string;
	/** What the ERP stub answers (by order id); more can be added with erp.plan(). */
	orders?: readonly PlannedOrder[];
	/** More environment for Node-RED, e.g. { OTEL_SEMCONV_STABILITY_OPT_IN: 'http' }. */
	env?: Record<string, string>;
}

export async function startNodeRed(opts: StartOptions): Promise<NodeRedRun> {
	const erp = await startErpStub();
	erp.plan(opts.orders ?? plannedOrders());
	const userDir = await mkdtemp(join(tmpdir(), 'syncscope-nodered-'));
	let child: ChildProcess | undefined;
	let output = '';
	const cleanUp = async () => {
		if (child) await terminate(child);
		await erp.close();
		await rm(userDir, { recursive: true, force: true });
	};
	try {
		await writeFile(join(userDir, 'settings.js'), SETTINGS);
		await copyFile(FLOW, join(userDir, 'flows.json'));
		const args = ['--require', BOOTSTRAP, RED_JS, '--port', '0', '--userDir', userDir, '--settings', join(userDir, 'settings.js'), 'flows.json'];
		child = spawn(process.execPath, args, {
			cwd: userDir,
			env: childEnv(opts, erp.url),
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const append = (chunk: Buffer) => {
			output = (output + chunk.toString('utf8')).slice(-64_000);
		};
		child.stdout!.on('data', append);
		child.stderr!.on('data', append);
		child.on('error', (err) => append(Buffer.from(`\n${err.stack}\n`)));
		const url = await waitUntilServing(child, () => output);
		let stopped: Promise<void> | undefined;
		return { url, erp, output: () => output, stop: () => (stopped ??= cleanUp()) };
	} catch (err) {
		await cleanUp();
		throw new Error(`Node-RED did not start: ${(err as Error).message}\n--- Node-RED output ---\n${output}`);
	}
}

function childEnv(opts: StartOptions, erpUrl: string): NodeJS.ProcessEnv {
	// Nothing from the test runner's environment decides what is instrumented or where it goes.
	const env = Object.fromEntries(
		Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS' && !k.startsWith('NODE_RED_'))
	);
	return {
		...env,
		OTEL_SERVICE_NAME: opts.serviceName ?? 'node-red-orders',
		OTEL_EXPORTER_OTLP_ENDPOINT: opts.otlpEndpoint,
		OTEL_BSP_SCHEDULE_DELAY: '200',
		// Traces are what the collector interprets; the SDK would otherwise also export metrics and logs.
		OTEL_METRICS_EXPORTER: 'none',
		OTEL_LOGS_EXPORTER: 'none',
		NODE_RED_DISABLE_TELEMETRY: 'true',
		ERP_URL: erpUrl,
		...opts.env
	};
}

/** Node-RED logs its address once listening; /orders exists once the flows have started. */
async function waitUntilServing(child: ChildProcess, output: () => string): Promise<string> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	let exited = false;
	child.once('exit', () => (exited = true));
	let url: string | undefined;
	while (Date.now() < deadline) {
		if (exited) throw new Error(`it exited with code ${child.exitCode} (signal ${child.signalCode})`);
		url ??= /Server now running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
		// OPTIONS: Express answers it with the route's methods (Allow: POST) without running the flow.
		if (url && (await allowsPost(`${url}/orders`))) return url;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`/orders did not answer within ${START_TIMEOUT_MS / 1000} s`);
}

async function allowsPost(url: string): Promise<boolean> {
	try {
		const res = await fetch(url, { method: 'OPTIONS' });
		await res.arrayBuffer();
		return res.ok && /\bPOST\b/.test(res.headers.get('allow') ?? '');
	} catch {
		return false;
	}
}

async function terminate(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
	await exited;
	clearTimeout(timer);
}

/**
 * POSTs each order (one at a time, in order) as the caller would: header x-correlation-id = the
 * order id, body { orderId, amount }. Returns the statuses received.
 */
export async function sendOrders(url: string, orders: readonly { id: string; amount?: number }[]): Promise<number[]> {
	const statuses: number[] = [];
	for (const order of orders) {
		const res = await fetch(`${url}/orders`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-correlation-id': order.id },
			body: JSON.stringify({ orderId: order.id, amount: order.amount ?? 100 })
		});
		await res.arrayBuffer();
		statuses.push(res.status);
	}
	return statuses;
}

/**
 * Deterministic orders SO-NR-1001…: every 8th from the 4th is rejected by the ERP (422), every
 * 8th from the 7th meets it down (503), the rest are created (201). For 50: 38 × 201, 6 × 422,
 * 6 × 503 — 12 failed.
 */
export function plannedOrders(n = 50): PlannedOrder[] {
	return Array.from({ length: n }, (_, i) => {
		const status: OrderStatus = i % 8 === 3 ? 422 : i % 8 === 6 ? 503 : 201;
		return { id: `SO-NR-${1001 + i}`, status, amount: 100 + ((i * 37) % 900) + 0.5 };
	});
}
