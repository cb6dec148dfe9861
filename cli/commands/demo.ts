/**
 * `syncscope demo`: Syncscope with a simulated distributor's middleware in front of it. Starts the
 * same process as `syncscope start` (embedded store in ./data unless configured), creates a demo
 * user per role, registers the estate's action endpoint, backfills a week of telemetry through the
 * collector (once per data dir) and keeps a live trickle going until Ctrl-C.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../src/lib/server/config';
import { startActionEndpoint, type ActionEndpoint } from '../../demo/action-endpoint';
import { demoSpanCount, featured, guide } from '../../demo/guide';
import { provision } from '../../demo/provision';
import { Simulator } from '../../demo/simulator';
import { loadState, saveState } from '../../demo/state';
import { otlpSinks } from '../../demo/telemetry';
import { addToken, revokeSource } from '../../src/lib/server/ingest-tokens';
import { describe, startSyncscope } from './start';
import { onShutdown } from '../lifecycle';
import { logger } from '../../src/lib/server/log';

/** The ingest-token source name of the demo middleware (when SYNCSCOPE_INGEST_AUTH is on). */
const DEMO_SOURCE = 'keystone-demo';

const optionsSchema = z.object({
	transactions: z.coerce.number().int().min(1).max(200_000).default(3000),
	days: z.coerce.number().int().min(1).max(29).default(7),
	seed: z.string().min(1).default('keystone'),
	rate: z.coerce.number().min(0).max(600).default(6),
	'action-port': z.coerce.number().int().min(0).max(65535).default(Number(process.env.SYNCSCOPE_DEMO_ACTION_PORT ?? 4380)),
	'backfill-only': z.boolean().default(false)
});

const HELP = `usage: syncscope demo [options]

  --transactions N   business transactions in the backfill (default 3000)
  --days N           days of history to backfill (default 7)
  --seed S           random seed; the same seed gives the same history (default keystone)
  --rate N           live transactions per minute, busier in office hours (default 6)
  --action-port N    port of the demo middleware's action endpoint on 127.0.0.1 (default 4380)
  --backfill-only    exit after the backfill instead of running live`;

export async function run(args: string[]): Promise<void> {
	let values: ReturnType<typeof parseOptions>;
	try {
		values = parseOptions(args);
	} catch (e) {
		console.error(`${(e as Error).message}\n\n${HELP}`);
		process.exit(2);
	}
	if (values.help) return console.log(HELP);
	const parsed = optionsSchema.safeParse(values);
	if (!parsed.success) {
		console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n') + `\n\n${HELP}`);
		process.exit(2);
	}
	const opts = parsed.data;

	// Demo defaults: local data, listening on loopback only, a demo admin. ORIGIN makes the console
	// see plain-http requests as same-origin (without it adapter-node assumes https).
	process.env.SYNCSCOPE_DATA_DIR ||= './data';
	process.env.HOST ||= '127.0.0.1';
	process.env.OTLP_HOST ||= '127.0.0.1';
	process.env.PORT ||= '3000';
	process.env.ORIGIN ||= `http://localhost:${process.env.PORT}`;
	const dataDir = process.env.SYNCSCOPE_DATA_DIR;
	const state = loadState(dataDir);
	const demoAdmin = state.users.find((u) => u.role === 'admin')!;
	process.env.SYNCSCOPE_ADMIN_EMAIL ||= demoAdmin.email;
	process.env.SYNCSCOPE_ADMIN_PASSWORD ||= demoAdmin.password;
	const admin = { email: process.env.SYNCSCOPE_ADMIN_EMAIL, password: process.env.SYNCSCOPE_ADMIN_PASSWORD };

	// The action endpoint listens first: its host:port goes into the allow-list Syncscope starts with.
	let simulator: Simulator | undefined;
	const endpoint = await listen(opts['action-port'], state.actionEndpoint.secret, join(dataDir, 'demo-deliveries.jsonl'), (d) => {
		if (!simulator) throw new Error('the simulator is not running yet');
		return simulator.reprocess(d);
	});
	const allow = `127.0.0.1:${endpoint.port}`;
	process.env.SYNCSCOPE_ACTION_ALLOWLIST = [process.env.SYNCSCOPE_ACTION_ALLOWLIST, allow].filter(Boolean).join(',');

	const config = loadConfig();
	const syncscope = await startSyncscope(config).catch(async (e) => {
		await endpoint.close();
		throw e;
	});
	console.log(describe(syncscope));
	const consoleUrl = process.env.ORIGIN;
	const apiUrl = `http://127.0.0.1:${syncscope.web.port}`;

	// With ingest auth on, the demo middleware gets its own token (a fresh one each run).
	const headers: Record<string, string> = {};
	if (config.ingestAuth) {
		await revokeSource(syncscope.db, DEMO_SOURCE);
		headers.authorization = `Bearer ${await addToken(syncscope.db, DEMO_SOURCE)}`;
	}
	simulator = new Simulator({ seed: opts.seed, sinks: otlpSinks(`http://127.0.0.1:${syncscope.collector.httpPort}`, headers) });

	const registered = state.actionEndpoint.id && state.actionEndpoint.url === endpoint.url;
	const setup = await provision({
		consoleUrl: apiUrl,
		origin: consoleUrl,
		admin,
		users: state.users,
		endpoint: registered ? undefined : { name: 'Keystone demo middleware', url: endpoint.url, secret: state.actionEndpoint.secret, existingId: state.actionEndpoint.id }
	});
	if (setup.endpoint) {
		state.actionEndpoint = { url: endpoint.url, secret: setup.endpoint.secret, id: setup.endpoint.id };
		endpoint.setSecret(setup.endpoint.secret);
		saveState(dataDir, state);
	}

	const existing = await demoSpanCount(syncscope.db);
	if (existing > 0) {
		console.log(`\n${dataDir} already holds demo data (${existing.toLocaleString('en-US')} spans): no backfill. Delete the directory for a fresh week.`);
	} else {
		console.log(`\nBackfilling ${opts.days} days: ${opts.transactions.toLocaleString('en-US')} business transactions through the collector…`);
		const t0 = Date.now();
		await simulator.backfill({
			now: Date.now(),
			days: opts.days,
			transactions: opts.transactions,
			onProgress: (done, total) => process.stdout.write(`\r  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`)
		});
		const s = simulator.telemetry.stats;
		console.log(`\r  done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${s.spans.toLocaleString('en-US')} spans, ${s.logs.toLocaleString('en-US')} log records`);
		if (s.failedSpans || s.failedLogs) console.warn(`  ! the collector refused ${s.failedSpans} spans and ${s.failedLogs} log records`);
	}

	console.log(guide({ consoleUrl, users: state.users, featured: await featured(syncscope.db), warnings: setup.warnings }));

	if (opts['backfill-only']) {
		await simulator.shutdown();
		await endpoint.close();
		await syncscope.close();
		return;
	}
	const trickle = simulator.startTrickle({ perMinute: opts.rate });
	console.log(`\nLive: about ${opts.rate} transactions a minute (busier in office hours). Ctrl-C to stop.`);
	onShutdown(logger('demo'), async () => {
		await trickle.stop();
		await simulator!.shutdown();
		await endpoint.close();
		await syncscope.close();
	});
}

function parseOptions(args: string[]) {
	return parseArgs({
		args,
		options: {
			transactions: { type: 'string' },
			days: { type: 'string' },
			seed: { type: 'string' },
			rate: { type: 'string' },
			'action-port': { type: 'string' },
			'backfill-only': { type: 'boolean' },
			help: { type: 'boolean', short: 'h' }
		}
	}).values;
}

/** The action endpoint on its usual port, or any free one if that is taken. */
async function listen(port: number, secret: string, journal: string, handle: Parameters<typeof startActionEndpoint>[0]['handle']): Promise<ActionEndpoint> {
	const log = (line: string) => console.log(`[demo middleware] ${line}`);
	try {
		return await startActionEndpoint({ port, secret, journal, handle, log });
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw e;
		console.warn(`port ${port} is taken; the demo middleware listens on a free port instead`);
		return startActionEndpoint({ port: 0, secret, journal, handle, log });
	}
}
