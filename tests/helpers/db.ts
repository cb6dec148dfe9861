/** A fresh embedded ClickHouse (chDB) in a temp directory, migrated, for one test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, setConfig, type Config } from '../../src/lib/server/config';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';

export interface TestDb {
	db: EmbeddedDb;
	config: Config;
	dir: string;
	cleanup(): Promise<void>;
}

export async function testDb(overrides: Partial<Config> = {}): Promise<TestDb> {
	const dir = mkdtempSync(join(tmpdir(), 'syncscope-test-'));
	const config = setConfig(loadConfig({}, { dataDir: dir, ...overrides }));
	const db = new EmbeddedDb(dir);
	setDb(db);
	await migrate(db, config);
	return {
		db,
		config,
		dir,
		async cleanup() {
			await db.close();
			setDb(undefined);
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
