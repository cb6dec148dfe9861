/**
 * `syncscope start`: the embedded default. One process hosts the collector and the console, since
 * chDB holds its data directory exclusively. With CLICKHOUSE_URL set it works the same against a
 * server (use `syncscope collector` / `syncscope console` to scale them separately).
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { configureLogging, logger } from '../../src/lib/server/log';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { startCollector } from '../../collector/index';
import { startConsole } from '../console-server';
import { describeStore, onShutdown, waitForStore } from '../lifecycle';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	configureLogging({ level: config.logLevel });
	const log = logger('start');
	const db = createDb(config);
	setDb(db);
	await waitForStore(db, log, config.startupTimeoutMs);
	const applied = await migrate(db, config);
	if (applied.length) log.info('migrations applied', { applied });
	await ensureFirstAdmin(config);

	const collector = await startCollector({ config, db });
	const web = await startConsole(config);
	console.log(
		`Syncscope is running\n  console:   http://localhost:${web.port}\n  OTLP/HTTP: http://localhost:${collector.httpPort}\n  OTLP/gRPC: localhost:${collector.grpcPort}\n  data:      ${describeStore(config)}`
	);
	onShutdown(log, async () => {
		// the console first (no new actions), then the collector flushes what it acknowledged
		await web.close();
		await collector.shutdown();
		await db.close();
	});
}
