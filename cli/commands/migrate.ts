import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb, setDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';

export async function run(): Promise<void> {
	const config = setConfig(loadConfig());
	const db = createDb(config);
	setDb(db);
	const applied = await migrate(db, config);
	console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
	await db.close();
}
