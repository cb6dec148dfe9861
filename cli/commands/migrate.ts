/**
 * `syncscope migrate`: apply the migrations once; safe to run twice or from several hosts at once.
 * In server mode it also creates the first admin (SYNCSCOPE_ADMIN_EMAIL/PASSWORD) when no user
 * exists, so consoles scaled out never race to create it.
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { ensureFirstAdmin } from '../../src/lib/server/auth';
import { configureLogging, logger } from '../../src/lib/server/log';
import { describeStore, waitForStore } from '../lifecycle';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	configureLogging({ level: config.logLevel });
	const log = logger('migrate');
	const db = createDb(config);
	setDb(db);
	try {
		await waitForStore(db, log, config.startupTimeoutMs);
		const applied = await migrate(db, config);
		log.info(applied.length ? 'migrations applied' : 'schema is up to date', { applied, store: describeStore(config) });
		await ensureFirstAdmin(config, (line) => log.info(line));
	} finally {
		await db.close();
	}
}
