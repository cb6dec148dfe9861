/**
 * Static checks of the deployment files (Docker cannot run on the development machines; the files
 * are also validated with `docker compose config`, see docs/operations.md): every mounted config
 * exists and parses, services have health checks, the cluster name and macros line up with what
 * the migrations expect, and the server runs the embedded engine's major version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
type Service = { image?: string; build?: unknown; command?: string[]; healthcheck?: unknown; volumes?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> };
const load = (f: string) => parse(readFileSync(root + f, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

function mounts(s: Service): string[] {
	return (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':')[0]);
}

describe('docker-compose.yml', () => {
	const c = load('docker-compose.yml');
	it('runs ClickHouse, migrations once, then collector and console as separate processes', () => {
		expect(Object.keys(c.services).sort()).toEqual(['clickhouse', 'collector', 'console', 'migrate']);
		expect(c.services.migrate.command).toEqual(['migrate']);
		expect(c.services.collector.command).toEqual(['collector']);
		expect(c.services.console.command).toEqual(['console']);
		for (const s of ['collector', 'console']) {
			expect(c.services[s].depends_on?.migrate.condition).toBe('service_completed_successfully');
			expect(c.services[s].healthcheck, s).toBeTruthy();
			expect(c.services[s].environment?.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
		}
		expect(c.services.clickhouse.healthcheck).toBeTruthy();
		// server mode needs the one secret key every console shares
		expect(c.services.console.environment?.SYNCSCOPE_SECRET_KEY).toMatch(/^\$\{SYNCSCOPE_SECRET_KEY:\?/);
		expect(c.services.clickhouse.volumes?.some((v) => v.startsWith('clickhouse-data:'))).toBe(true);
		expect(c.volumes).toHaveProperty('clickhouse-data');
	});

	it('mounts config files that exist and are well-formed XML', () => {
		for (const f of mounts(c.services.clickhouse)) {
			expect(existsSync(root + f), f).toBe(true);
			expect(readFileSync(root + f, 'utf8')).toMatch(/^<!--[\s\S]*?-->\s*<clickhouse>[\s\S]*<\/clickhouse>\s*$/);
		}
	});

	it('uses the ClickHouse major.minor of the embedded engine', async () => {
		const { query } = await import('chdb');
		const version = query('SELECT version()', 'TSV').trim().split('.').slice(0, 2).join('.');
		expect(c.services.clickhouse.image).toBe(`clickhouse/clickhouse-server:${version}`);
	});
});

describe('docker-compose.cluster.yml', () => {
	const c = load('docker-compose.cluster.yml');
	const nodes = Object.keys(c.services).filter((n) => n.startsWith('ch-'));
	const clusterXml = readFileSync(root + 'clickhouse/cluster/cluster.xml', 'utf8');

	it('has Keeper and 2 shards x 2 replicas, each node with its own shard/replica macros and volume', () => {
		expect(c.services.keeper.image).toMatch(/^clickhouse\/clickhouse-keeper:/);
		expect(nodes).toHaveLength(4);
		const pairs = nodes.map((n) => `${c.services[n].environment?.CLICKHOUSE_SHARD}/${c.services[n].environment?.CLICKHOUSE_REPLICA}`);
		expect(new Set(pairs).size).toBe(4);
		for (const n of nodes) {
			expect(clusterXml).toContain(`<host>${n}</host>`);
			expect(c.services[n].volumes?.some((v) => v.startsWith(`${n}-data:`))).toBe(true);
			for (const f of mounts(c.services[n])) expect(existsSync(root + f), f).toBe(true);
		}
	});

	it('names the same cluster in the server config and the app config', () => {
		const name = c.services.migrate.environment?.CLICKHOUSE_CLUSTER;
		expect(name).toBe('syncscope');
		expect(clusterXml).toMatch(new RegExp(`<remote_servers>\\s*<${name}>`));
		expect(clusterXml).toMatch(/<shard from_env="CLICKHOUSE_SHARD"\/>/);
		expect(clusterXml).toMatch(/<internal_replication>true<\/internal_replication>/);
		for (const s of ['collector-1', 'collector-2', 'console']) expect(c.services[s].environment?.CLICKHOUSE_CLUSTER).toBe(name);
	});
});
