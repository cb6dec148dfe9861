/**
 * `syncscope reinterpret --days N [--yes]`: apply the rule version in use to the stored telemetry of
 * the last N UTC days (src/lib/server/interpret/reinterpret.ts), printing its progress.
 *
 * Where the job runs: embedded, chDB holds its data directory for one process, and the collector
 * writing into it is part of the running server, so when Syncscope is running the job must run in
 * it: this command then starts it through the API (an admin API token: --token or
 * SYNCSCOPE_API_TOKEN; --url when the console is not on http://localhost:$PORT) and follows it.
 * When nothing holds the data directory, or in server mode (CLICKHOUSE_URL), it runs here. Either
 * way only one job runs at a time: a second is refused while one runs.
 */
import { createInterface } from 'node:readline/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, setConfig, type Config } from '../../src/lib/server/config';
import { createDb, setDb, type Db } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { configureLogging, logger } from '../../src/lib/server/log';
import { MAX_DAYS, ReinterpretError, runReinterpret, type ReinterpretStatus } from '../../src/lib/server/interpret/reinterpret';
import { ruleDocument } from '../../src/lib/server/interpret/versions';
import { describeStore, waitForStore } from '../lifecycle';

const HELP = `usage: syncscope reinterpret --days N [options]

  --days N      re-interpret the last N UTC days, today included (1–${MAX_DAYS})
  --yes         do not ask for confirmation
  --force       rewrite days even where the rules change nothing (runs here only)
  --url URL     console of the running Syncscope (default http://localhost:$PORT)
  --token T     admin API token for it (default SYNCSCOPE_API_TOKEN)`;

const optionsSchema = z.object({
	days: z.coerce.number({ error: 'say how many days back: --days N' }).int().min(1).max(MAX_DAYS),
	yes: z.boolean().default(false),
	force: z.boolean().default(false),
	url: z.string().url().optional(),
	token: z.string().min(1).optional()
});
type Options = z.infer<typeof optionsSchema>;

export async function run(args: string[]): Promise<void> {
	let values: Record<string, unknown>;
	try {
		values = parseArgs({
			args,
			options: { days: { type: 'string' }, yes: { type: 'boolean' }, force: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
		}).values;
	} catch (e) {
		console.error(`${(e as Error).message}\n\n${HELP}`);
		process.exit(2);
	}
	if (values.help) return console.log(HELP);
	const parsed = optionsSchema.safeParse({ ...values, token: values.token ?? process.env.SYNCSCOPE_API_TOKEN });
	if (!parsed.success) {
		console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n') + `\n\n${HELP}`);
		process.exit(2);
	}
	const opts = parsed.data;
	const config = setConfig(loadConfig());
	// the job's own log lines would interleave with the progress lines
	configureLogging({ level: config.logLevel === 'debug' ? 'debug' : 'warn' });
	if (opts.url) return viaApi(opts, opts.url);
	const db = await openStore(config);
	if (!db) return viaApi(opts, `http://localhost:${config.port}`, `Syncscope is running on ${config.dataDir}: the job runs inside it.`);
	try {
		await direct(opts, db, config);
	} finally {
		await db.close();
	}
}

/** The store, or null when a running Syncscope holds the embedded data directory. */
async function openStore(config: Config): Promise<Db | null> {
	const db = createDb(config);
	try {
		if (config.clickhouseUrl) await waitForStore(db, logger('reinterpret'), config.startupTimeoutMs);
		else await db.ping();
		return db;
	} catch (e) {
		await db.close().catch(() => undefined);
		if (!config.clickhouseUrl && /Failed to create connection|Cannot lock file|Another server instance/i.test((e as Error).message)) return null;
		throw e;
	}
}

async function confirm(opts: Options, what: string): Promise<boolean> {
	if (opts.yes) return true;
	if (!process.stdin.isTTY) {
		console.error(`${what}\nRefusing without confirmation: pass --yes.`);
		return false;
	}
	const rl = createInterface({ input: process.stdin, output: process.stdout });
	const answer = await rl.question(`${what}\nEach day's stored rows and everything derived from them are rewritten. Continue? [y/N] `);
	rl.close();
	return /^y(es)?$/i.test(answer.trim());
}

/** One line per change of step, and at most one a second in between. */
function printer(): (s: ReinterpretStatus) => void {
	let last = '';
	let at = 0;
	return (s) => {
		const pct = s.total ? ` (${Math.floor((100 * s.done) / s.total)}%)` : '';
		const line = `${s.message} — ${s.done.toLocaleString('en-US')} of ${s.total.toLocaleString('en-US')} spans and log records${pct}`;
		if (s.state !== 'running' || s.message !== last || Date.now() - at >= 1000) {
			console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
			last = s.message;
			at = Date.now();
		}
	};
}

async function direct(opts: Options, db: Db, config: Config): Promise<void> {
	setDb(db);
	await migrate(db, config);
	const { version } = await ruleDocument(undefined, db);
	if (!(await confirm(opts, `Re-interpret the last ${opts.days} days in ${describeStore(config)} with rule version ${version}.`))) return void (process.exitCode = 1);
	try {
		const r = await runReinterpret({ days: opts.days, actor: `cli:${userInfo().username}`, role: 'cli', force: opts.force, onProgress: printer() });
		if (r.state !== 'done') process.exitCode = 1;
	} catch (e) {
		if (!(e instanceof ReinterpretError)) throw e;
		console.error(e.message);
		process.exitCode = 1;
	}
}

async function viaApi(opts: Options, base: string, why = ''): Promise<void> {
	const url = `${base.replace(/\/$/, '')}/api/v1/interpretation/reinterpret`;
	if (!opts.token) {
		console.error(`${why ? `${why} ` : ''}Pass an admin API token (--token, or SYNCSCOPE_API_TOKEN) to start the job through ${url}.`);
		return void (process.exitCode = 2);
	}
	if (opts.force) {
		console.error('--force only runs where no server holds the store (stop Syncscope first).');
		return void (process.exitCode = 2);
	}
	if (!(await confirm(opts, `Re-interpret the last ${opts.days} days with the rule version in use, in the Syncscope at ${base}.`))) return void (process.exitCode = 1);
	const headers = { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' };
	const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ days: opts.days }) });
	const body = (await res.json().catch(() => ({}))) as { jobId?: string; message?: string };
	if (res.status !== 202 || !body.jobId) {
		console.error(`${res.status}: ${body.message ?? res.statusText}`);
		return void (process.exitCode = 1);
	}
	const print = printer();
	for (;;) {
		const r = await fetch(`${url}/${encodeURIComponent(body.jobId)}`, { headers });
		if (!r.ok) {
			console.error(`${r.status}: ${((await r.json().catch(() => ({}))) as { message?: string }).message ?? r.statusText}`);
			return void (process.exitCode = 1);
		}
		const s = (await r.json()) as ReinterpretStatus;
		print(s);
		if (s.state !== 'running') return void (process.exitCode = s.state === 'done' ? 0 : 1);
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}
