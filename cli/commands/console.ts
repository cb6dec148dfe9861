/**
 * `syncscope console`: the web console alone, stateless, any number of them behind a load balancer,
 * against one ClickHouse server or cluster (CLICKHOUSE_URL). SIGTERM drains: new requests get 503,
 * in-flight ones finish, exit 0.
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { configureLogging, logger } from '../../src/lib/server/log';
import { startConsole } from '../console-server';
import { startAutoRetry } from '../../src/lib/server/exceptions/auto-retry';
import { finishInterrupted } from '../../src/lib/server/interpret/reinterpret';
import { startFolding } from '../../src/lib/server/sla/fold';
import { startKeepingResults } from '../../src/lib/server/reconciliation/kept';
import { catalogue } from '../../src/lib/server/flows/catalogue';
import { followCatalogue } from '../../src/lib/server/flows/versions';
import { startAlerts } from '../../src/lib/server/alerts/engine';
import { checkSchema, describeStore, loadConsoleConfig, onShutdown, waitForStore } from '../lifecycle';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	configureLogging({ level: config.logLevel });
	const log = logger('console');
	if (!config.clickhouseUrl) {
		log.warn('no CLICKHOUSE_URL: the console opens the embedded data directory, which no collector process can share; use `syncscope start`');
	}
	const db = createDb(config);
	setDb(db);
	await waitForStore(db, log, config.startupTimeoutMs);
	await checkSchema(db);
	await loadConsoleConfig(db, log);
	const web = await startConsole(config);
	// catalogue edits saved on another console apply here within 15 s
	const stopFollowing = followCatalogue(db, (msg, version) => log.info(msg, { version }));
	// background work (alert evaluation, runbook auto-retry, the SLA fold) runs in the one console that is told to:
	// `syncscope start` always runs it; with several consoles set SYNCSCOPE_RUN_SCHEDULER=1 on one
	const stopAutoRetry = config.runScheduler ? startAutoRetry() : () => {};
	const alerts = config.runScheduler ? startAlerts({ db }) : { stop() {} };
	// other consoles fold on demand when their figures are older than SYNCSCOPE_SLA_FRESHNESS_MS
	const stopFolding = config.runScheduler ? startFolding(db, (m) => log.info(m), undefined, () => catalogue().flows) : async () => {};
	// reconciliation results of days and hours that just settled, kept before anyone opens them (other consoles keep on view)
	const stopKeeping = config.runScheduler ? startKeepingResults(db, () => catalogue().flows, (m) => log.info(m)) : async () => {};
	// the scheduling console also finishes a re-interpret job that died mid-day (its staging tables hold the day)
	if (config.runScheduler) {
		void finishInterrupted().then(
			(job) => job && log.info('re-interpret: interrupted days finished', { jobId: job.jobId }),
			(e: Error) => log.error('re-interpret: finishing interrupted days failed', { err: e })
		);
	}
	log.info('console ready', { port: web.port, store: describeStore(config) });
	console.log(JSON.stringify({ ready: 'console', port: web.port, pid: process.pid }));
	onShutdown(log, async () => {
		stopAutoRetry();
		alerts.stop();
		stopFollowing();
		await web.close();
		await stopFolding();
		await stopKeeping();
		await db.close();
	});
}
