/**
 * Integer query parameters are bounded (issue 14, finding 14): out of range, fractional or
 * non-numeric values are a 400 that names the parameter and the bound, never a 500 from
 * ClickHouse and never a UInt32 that wraps around (4294967297 → 1, 4294967296 → 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OFFSET } from '../src/lib/server/exceptions/list';
import { testApp, userWithRole, type TestApp, type Client } from './helpers/app';

let app: TestApp;
let viewer: Client;
beforeAll(async () => {
	app = await testApp();
	viewer = (await userWithRole(app, 'viewer')).client;
});
afterAll(async () => {
	await app?.close();
});

const list = (query: string) => viewer.fetch(`/api/v1/exceptions?${query}`);
async function refused(query: string, message: RegExp) {
	const r = await list(query);
	expect(r.status, query).toBe(400);
	const body = (await r.json()) as { message: string };
	expect(body.message, query).toMatch(message);
}

describe('GET /api/v1/exceptions', () => {
	it('olderThanMinutes / newerThanMinutes: whole minutes within ten years', async () => {
		await refused('olderThanMinutes=1.5', /olderThanMinutes: must be a whole number/);
		await refused('olderThanMinutes=4294967297', /olderThanMinutes: must be at most \d+/);
		await refused('newerThanMinutes=4294967297', /newerThanMinutes: must be at most \d+/);
		await refused('olderThanMinutes=-1', /olderThanMinutes: must be at least 0/);
		await refused('newerThanMinutes=abc', /newerThanMinutes/);
		await refused('olderThanMinutes=Infinity', /olderThanMinutes/);
		for (const ok of ['olderThanMinutes=1', 'olderThanMinutes=0', 'newerThanMinutes=525600', 'olderThanMinutes=', 'olderThanMinutes=60&newerThanMinutes=1440']) {
			expect((await list(ok)).status, ok).toBe(200);
		}
	});

	it('offset and limit: whole numbers in range; a huge offset is refused, not wrapped to the first page', async () => {
		await refused('offset=4294967296', new RegExp(`offset: must be at most ${MAX_OFFSET}`));
		await refused(`offset=${MAX_OFFSET + 1}`, /offset: must be at most/);
		await refused('offset=-1', /offset: must be at least 0/);
		await refused('offset=2.5', /offset: must be a whole number/);
		await refused('limit=0', /limit: must be at least 1/);
		await refused('limit=1001', /limit: must be at most 1000/);
		await refused('limit=4294967297', /limit: must be at most 1000/);
		await refused('limit=1.5', /limit: must be a whole number/);
		for (const ok of ['offset=0', `offset=${MAX_OFFSET}`, 'limit=1', 'limit=1000', 'limit=10&offset=20']) {
			expect((await list(ok)).status, ok).toBe(200);
		}
	});

	it('minAmount: a finite amount ≥ 0 (decimals allowed)', async () => {
		await refused('minAmount=-5', /minAmount: must be 0 or more/);
		await refused('minAmount=1e400', /minAmount/);
		await refused('minAmount=1e16', /minAmount: must be at most/);
		expect((await list('minAmount=250000.50')).status).toBe(200);
	});

	it('the console queue page shows the same problem instead of failing', async () => {
		const r = await viewer.fetch('/exceptions?olderThanMinutes=1.5');
		expect(r.status).toBeLessThan(500);
		expect(await r.text()).toMatch(/olderThanMinutes: must be a whole number/);
	});
});

describe('other API query parameters', () => {
	it('GET /api/v1/flows/{flow}/kpis: bad from/to are a 400 with the reason', async () => {
		const { flows } = (await (await viewer.fetch('/api/v1/flows')).json()) as { flows: { id: string }[] };
		const id = flows[0].id;
		for (const [q, why] of [
			['from=yesterday', /from/],
			['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be before to/],
			['from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', /at most 31 days/]
		] as const) {
			const r = await viewer.fetch(`/api/v1/flows/${id}/kpis?${q}`);
			expect(r.status, q).toBe(400);
			expect(((await r.json()) as { message: string }).message, q).toMatch(why);
		}
	});

	it('GET /api/v1/lineage: a missing or oversized key is a 400', async () => {
		expect((await viewer.fetch('/api/v1/lineage')).status).toBe(400);
		expect((await viewer.fetch(`/api/v1/lineage?key=${'x'.repeat(5000)}`)).status).toBe(400);
	});
});
