/**
 * `syncscope start`: the embedded default. One process hosts the collector and the console, since
 * chDB holds its data directory exclusively. With CLICKHOUSE_URL set it works the same against a
 * server (use `syncscope collector` / `syncscope console` to scale them separately).
 */
import { loadConfig, setConfig, type Config } from '../../src/lib/server/config';
import { createDb, setDb, type Db } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { configureLogging, logger } from '../../src/lib/server/log';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { startCollector, type Collector } from '../../collector/index';
import { startConsole, type ConsoleServer } from '../console-server';
import { describeStore, loadConsoleConfig, onShutdown, waitForStore } from '../lifecycle';
import { startAutoRetry } from '../../src/lib/server/exceptions/auto-retry';
import { startAlerts } from '../../src/lib/server/alerts/engine';
import { finishInterrupted } from '../../src/lib/server/interpret/reinterpret';
import { startFolding } from '../../src/lib/server/sla/fold';
import { startKeepingResults } from '../../src/lib/server/reconciliation/kept';
import { catalogue } from '../../src/lib/server/flows/catalogue';

export interface Syncscope {
	config: Config;
	db: Db;
	collector: Collector;
	web: ConsoleServer;
	/** drain: console first (no new actions), then the collector flushes what it acknowledged, then the store */
	close(): Promise<void>;
}

/** Migrate, then start collector and console in this process (also used by `syncscope demo`). */
export async function startSyncscope(config: Config): Promise<Syncscope> {
	setConfig(config);
	configureLogging({ level: config.logLevel });
	const log = logger('start');
	const db = createDb(config);
	setDb(db);
	await waitForStore(db, log, config.startupTimeoutMs);
	const applied = await migrate(db, config);
	if (applied.length) log.info('migrations applied', { applied });
	await ensureFirstAdmin(config);
	await loadConsoleConfig(db, log);

	const collector = await startCollector({ config, db });
	const web = await startConsole(config);
	const stopAutoRetry = startAutoRetry();
	const alerts = startAlerts({ db });
	const stopFolding = startFolding(db, (m) => log.info(m), undefined, () => catalogue().flows);
	// reconciliation results of days and hours that just settled, kept before anyone opens them
	const stopKeeping = startKeepingResults(db, () => catalogue().flows, (m) => log.info(m));
	// a re-interpret job that died mid-day left that day in its staging tables: put it back
	void finishInterrupted().then(
		(job) => job && log.info('re-interpret: interrupted days finished', { jobId: job.jobId }),
		(e: Error) => log.error('re-interpret: finishing interrupted days failed', { err: e })
	);
	return {
		config,
		db,
		collector,
		web,
		async close() {
			stopAutoRetry();
			alerts.stop();
			await web.close();
			await stopFolding();
			await stopKeeping();
			await collector.shutdown();
			await db.close();
		}
	};
}

export function describe(s: Syncscope): string {
	return `Syncscope is running\n  console:   http://localhost:${s.web.port}\n  OTLP/HTTP: http://localhost:${s.collector.httpPort}\n  OTLP/gRPC: localhost:${s.collector.grpcPort}\n  data:      ${describeStore(s.config)}`;
}

export async function run(): Promise<void> {
	const s = await startSyncscope(loadConfig());
	console.log(describe(s));
	onShutdown(logger('start'), () => s.close());
}
