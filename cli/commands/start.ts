/**
 * `syncscope start`: the embedded default. One process hosts the collector and the console, since
 * chDB holds its data directory exclusively. With CLICKHOUSE_URL set it works the same against a
 * server (use `syncscope collector` / `syncscope console` to scale them separately).
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { startCollector } from '../../collector/index';
import { startAlerts } from '../../src/lib/server/alerts/engine';
import { loadLatestCatalogue } from '../../src/lib/server/flows/versions';
import { startConsole } from '../console-server';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	const db = createDb(config);
	setDb(db);
	const applied = await migrate(db, config);
	if (applied.length) console.log(`migrations applied: ${applied.join(', ')}`);
	await ensureFirstAdmin(config);
	// the flow catalogue in use is the newest version saved in the console (config/flows.yaml is v0)
	const catalogueVersion = await loadLatestCatalogue(db);
	if (catalogueVersion > 0) console.log(`flow catalogue: version ${catalogueVersion}`);

	const collector = await startCollector({ config, db });
	const web = await startConsole(config);
	const alerts = startAlerts({ db });
	console.log(
		`Syncscope is running\n  console:   http://localhost:${web.port}\n  OTLP/HTTP: http://localhost:${collector.httpPort}\n  OTLP/gRPC: localhost:${collector.grpcPort}\n  data:      ${db.kind === 'embedded' ? config.dataDir : config.clickhouseUrl}`
	);

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`${signal}: draining…`);
		alerts.stop();
		await web.close();
		await collector.shutdown();
		await db.close();
		process.exit(0);
	};
	process.on('SIGTERM', () => void stop('SIGTERM'));
	process.on('SIGINT', () => void stop('SIGINT'));
}
