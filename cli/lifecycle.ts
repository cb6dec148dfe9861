/**
 * Process lifecycle shared by the long-running commands: wait for the store at start, check the
 * schema, and turn SIGTERM/SIGINT into one graceful stop that exits 0 (a second signal exits at once).
 */
import type { Config } from '../src/lib/server/config';
import { sql, StoreUnavailableError, type Db } from '../src/lib/server/db';
import { listMigrations } from '../src/lib/server/db/migrate';
import type { Logger } from '../src/lib/server/log';
import { loadRunbookFiles, setRunbookFiles } from '../src/lib/server/runbooks/loader';
import { loadLatestCatalogue } from '../src/lib/server/flows/versions';

export class StartupError extends Error {}

/** Ping until the store answers (a server starting next to us in compose), up to timeoutMs. */
export async function waitForStore(db: Db, log: Logger, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (let attempt = 1; ; attempt++) {
		try {
			await db.ping();
			return;
		} catch (e) {
			if (!(e instanceof StoreUnavailableError) || Date.now() > deadline) {
				throw new StartupError(`cannot reach ClickHouse: ${(e as Error).message}`, { cause: e });
			}
			log.warn('waiting for ClickHouse', { attempt, err: e });
			await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
		}
	}
}

/** In server mode the schema is `syncscope migrate`'s job: refuse to serve an unmigrated store. */
export async function checkSchema(db: Db): Promise<void> {
	const want = listMigrations().map((m) => m.version);
	let have: number[] = [];
	try {
		have = (await db.query<{ version: number }>(sql`SELECT DISTINCT version FROM syncscope_migrations`)).map((r) => r.version);
	} catch (e) {
		if (e instanceof StoreUnavailableError) throw e;
	}
	const missing = want.filter((v) => !have.includes(v));
	if (missing.length) {
		throw new StartupError(`the schema is not migrated (missing ${missing.join(', ')}): run \`syncscope migrate\` first`);
	}
}

/** Run `stop` once on SIGTERM/SIGINT, then exit 0 (1 if stopping failed). */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
	let stopping = false;
	const handle = (signal: NodeJS.Signals) => {
		if (stopping) {
			log.warn('second signal: exiting now', { signal });
			process.exit(1);
		}
		stopping = true;
		log.info('draining', { signal });
		stop().then(
			() => {
				log.info('stopped cleanly');
				process.exit(0);
			},
			(e) => {
				log.error('shutdown failed', { err: e });
				process.exit(1);
			}
		);
	};
	process.on('SIGTERM', handle);
	process.on('SIGINT', handle);
}

export function describeStore(config: Config): string {
	return config.clickhouseUrl ? `${config.clickhouseUrl.replace(/\/\/[^@/]*@/, '//')} (db ${config.clickhouseDatabase})` : `embedded chDB at ${config.dataDir}`;
}

/**
 * What a console needs before it serves: runbooks/*.yaml validated (a RunbookError lists every
 * problem, exit 78) and the flow catalogue in use, i.e. the newest version an admin saved
 * (config/flows.yaml is version 0).
 */
export async function loadConsoleConfig(db: Db, log: Logger): Promise<void> {
	setRunbookFiles(loadRunbookFiles());
	const version = await loadLatestCatalogue(db);
	if (version > 0) log.info('flow catalogue loaded', { version });
}
