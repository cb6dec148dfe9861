/** A bad setting stops the process at start with a message that names the setting. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/lib/server/config';
import { runCli } from './cli-process';

const dir = mkdtempSync(join(tmpdir(), 'syncscope-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config errors', () => {
	it('lists every invalid setting with its environment name', () => {
		let err: unknown;
		try {
			loadConfig({ PORT: 'eighty', SYNCSCOPE_TTL_TRACES_DAYS: '-3', CLICKHOUSE_URL: 'not a url' });
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(ConfigError);
		const msg = (err as Error).message;
		expect(msg).toMatch(/^invalid configuration:/);
		expect(msg).toMatch(/PORT \(port\)/);
		expect(msg).toMatch(/SYNCSCOPE_TTL_TRACES_DAYS \(ttlTracesDays\)/);
		expect(msg).toMatch(/CLICKHOUSE_URL \(clickhouseUrl\)/);
	});

	it('reads the optional file, with the environment winning', () => {
		const file = join(dir, 'ok.yaml');
		writeFileSync(file, 'ttlLogsDays: 9\nport: 4000\n');
		const c = loadConfig({ SYNCSCOPE_CONFIG: file, PORT: '4100' });
		expect(c.ttlLogsDays).toBe(9);
		expect(c.port).toBe(4100);
	});

	it('exits 78 with a clear message when a command starts with a bad setting', async () => {
		const r = await runCli(['migrate'], { SYNCSCOPE_DATA_DIR: join(dir, 'data'), SYNCSCOPE_TTL_LOGS_DAYS: 'forever' });
		expect(r.code).toBe(78);
		expect(r.stderr).toMatch(/invalid configuration:\n\s+SYNCSCOPE_TTL_LOGS_DAYS \(ttlLogsDays\): /);
		expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // a message, not a stack trace
	});

	it('exits 78 naming a config file that cannot be read or holds a bad value', async () => {
		const missing = await runCli(['console'], { SYNCSCOPE_CONFIG: join(dir, 'nope.yaml') });
		expect(missing.code).toBe(78);
		expect(missing.stderr).toMatch(/cannot read SYNCSCOPE_CONFIG .*nope\.yaml/);
		const bad = join(dir, 'bad.yaml');
		writeFileSync(bad, 'ttlLogsDays: forever\n');
		const r = await runCli(['collector'], { SYNCSCOPE_CONFIG: bad });
		expect(r.code).toBe(78);
		expect(r.stderr).toMatch(/SYNCSCOPE_TTL_LOGS_DAYS \(ttlLogsDays\)/);
	});

	it('exits 78 naming the runbook file and the field when a runbook is invalid', async () => {
		const runbooks = join(dir, 'runbooks');
		mkdirSync(runbooks, { recursive: true });
		writeFileSync(join(runbooks, 'broken.yaml'), 'id: broken\ntitle: Broken\nmatch: {}\nallowedActions: [teleport]\n');
		const r = await runCli(['start'], {
			SYNCSCOPE_DATA_DIR: join(dir, 'data-runbooks'),
			SYNCSCOPE_RUNBOOKS_DIR: runbooks,
			PORT: '0',
			OTLP_HTTP_PORT: '0',
			OTLP_GRPC_PORT: '0'
		});
		expect(r.code).toBe(78);
		expect(r.stderr).toMatch(/broken\.yaml/);
		expect(r.stderr).toMatch(/allowedActions/);
	});
});
