/** `syncscope <command>`: each command lives in cli/commands/<name>.ts and exports run(args). */
import { ConfigError } from '../src/lib/server/config';
import { StartupError } from './lifecycle';
import { RunbookError } from '../src/lib/server/runbooks/loader';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<void> }> }> = {
	start: { summary: 'migrate, then run collector and console in one process (embedded default)', load: () => import('./commands/start') },
	demo: { summary: "start with a simulated distributor's middleware: demo users, a week of history, live traffic", load: () => import('./commands/demo') },
	audit: { summary: 'audit verify: check the hash-chained action log; audit export <key> [--csv]: evidence pack', load: () => import('./commands/audit') },
	collector: { summary: 'run the OTLP collector alone (server mode: CLICKHOUSE_URL; stateless, scale out)', load: () => import('./commands/collector') },
	console: { summary: 'run the web console alone (server mode: CLICKHOUSE_URL; stateless, scale out)', load: () => import('./commands/console') },
	migrate: { summary: 'apply ClickHouse migrations (idempotent, safe to run twice or concurrently)', load: () => import('./commands/migrate') },
	'ingest-token': { summary: 'ingest-token add|revoke <source>: per-source bearer tokens for the collector', load: () => import('./commands/ingest-token') },
	reinterpret: { summary: 'reinterpret --days N [--yes]: apply the rule version in use to the stored telemetry of the last N days', load: () => import('./commands/reinterpret') }
};

function usage(): void {
	console.log('usage: syncscope <command> [options]\n');
	for (const [name, c] of Object.entries(COMMANDS)) console.log(`  ${name.padEnd(16)} ${c.summary}`);
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
	usage();
	process.exit(name ? 0 : 1);
}
const cmd = COMMANDS[name];
if (!cmd) {
	console.error(`unknown command: ${name}\n`);
	usage();
	process.exit(2);
}
try {
	await (await cmd.load()).run(args);
} catch (e) {
	if (e instanceof ConfigError || e instanceof RunbookError) {
		// EX_CONFIG (sysexits.h): a supervisor should not restart-loop on a bad setting
		console.error(e.message);
		process.exit(78);
	}
	if (e instanceof StartupError) {
		console.error(`cannot start: ${e.message}`);
		process.exit(1);
	}
	throw e;
}
