/**
 * `syncscope collector`: the OTLP receiver alone, stateless, any number of them against one
 * ClickHouse server or cluster (CLICKHOUSE_URL). Operations endpoints on SYNCSCOPE_OPS_PORT.
 * Without CLICKHOUSE_URL it owns the embedded data directory (and migrates it), so no console can
 * open that directory from another process: use `syncscope start` for the one-process setup.
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { configureLogging, logger } from '../../src/lib/server/log';
import { startCollector } from '../../collector/index';
import { checkSchema, describeStore, onShutdown, waitForStore } from '../lifecycle';
import { startOpsServer } from '../ops-server';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	configureLogging({ level: config.logLevel });
	const log = logger('collector');
	const db = createDb(config);
	setDb(db);
	await waitForStore(db, log, config.startupTimeoutMs);
	if (db.kind === 'embedded') {
		log.warn('no CLICKHOUSE_URL: this collector owns the embedded data directory; run the console with `syncscope start` instead');
		await migrate(db, config);
	} else {
		await checkSchema(db);
	}

	let draining = false;
	const collector = await startCollector({ config, db, log: (msg) => log.warn(msg) });
	const ops = await startOpsServer({
		host: config.otlpHost,
		port: config.opsPort,
		db,
		draining: () => draining,
		metrics: () => collector.metrics(),
		metricsToken: config.metricsToken
	});
	log.info('collector ready', {
		otlpHttpPort: collector.httpPort,
		otlpGrpcPort: collector.grpcPort,
		opsPort: ops.port,
		store: describeStore(config)
	});
	// one machine-readable line for supervisors and the fault-test harness
	console.log(JSON.stringify({ ready: 'collector', otlpHttpPort: collector.httpPort, otlpGrpcPort: collector.grpcPort, opsPort: ops.port, pid: process.pid }));

	onShutdown(log, async () => {
		draining = true;
		await collector.shutdown();
		await ops.close();
		await db.close();
	});
}
