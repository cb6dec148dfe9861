/**
 * `syncscope ingest-token add <source>`: create an ingest token for a middleware source and print
 * it once (only its SHA-256 is stored). `syncscope ingest-token revoke <source>` revokes that
 * source's tokens. In embedded mode, run it while Syncscope is stopped (chDB holds the data
 * directory exclusively), or use Administration → Ingest tokens in the console; the collector picks
 * new tokens up within seconds.
 */
import { loadConfig, setConfig } from '../../src/lib/server/config';
import { createDb } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { addToken, revokeSource, SOURCE_NAME as SOURCE } from '../../src/lib/server/ingest-tokens';

export async function run(args: string[]): Promise<void> {
	const [action, source] = args;
	if ((action !== 'add' && action !== 'revoke') || !source || !SOURCE.test(source)) {
		console.error('usage: syncscope ingest-token add|revoke <source>   (source: letters, digits, _ . : -)');
		process.exit(2);
	}
	const config = setConfig(loadConfig());
	const db = createDb(config);
	try {
		await migrate(db, config);
		if (action === 'add') {
			const token = await addToken(db, source);
			console.log(`ingest token for ${source} (shown once; send it as "Authorization: Bearer <token>"):\n${token}`);
		} else {
			const n = await revokeSource(db, source);
			console.log(`revoked ${n} token(s) of ${source}`);
		}
	} finally {
		await db.close();
	}
}
