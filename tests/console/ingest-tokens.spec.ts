/** Administration → Ingest tokens: admins create (shown once, stored hashed) and revoke per source. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../collector/index';
import { sql } from '../../src/lib/server/db';
import { hashToken } from '../../src/lib/server/ingest-tokens';
import { testApp, userWithRole, type TestApp } from '../helpers/app';

let app: TestApp;
let collector: Collector;
beforeAll(async () => {
	app = await testApp();
	collector = await startCollector({ config: { ...app.config, ingestAuth: true, otlpHttpPort: 0, otlpGrpcPort: 0, otlpHost: '127.0.0.1' }, db: app.db, log: () => {} });
});
afterAll(async () => {
	await collector?.shutdown();
	await app?.close();
});

type Client = Awaited<ReturnType<typeof userWithRole>>['client'];
const action = (c: Client, name: string, source: string) =>
	c.fetch(`/admin/ingest?/${name}`, { form: { source }, headers: { accept: 'application/json', 'x-sveltekit-action': 'true' } });
const post = (token: string | null) =>
	fetch(`http://127.0.0.1:${collector.httpPort}/v1/traces`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: '{"resourceSpans":[]}'
	});

describe('ingest tokens in the console', () => {
	it('an admin creates a token that is shown once, stored as its hash, and lets the middleware in', async () => {
		const admin = await userWithRole(app, 'admin');
		const r = await (await action(admin.client, 'create', 'mulesoft-prod')).json();
		expect(r.type).toBe('success');
		const token = (JSON.parse(r.data) as unknown[]).find((v): v is string => typeof v === 'string' && v.startsWith('sst_'))!;
		expect(token).toMatch(/^sst_[A-Za-z0-9_-]{43}$/);
		const stored = await app.db.query<{ row: string; TokenHash: string }>(sql`SELECT toString(tuple(*)) AS row, TokenHash FROM ingest_tokens WHERE Source = 'mulesoft-prod'`);
		expect(stored).toHaveLength(1);
		expect(stored[0].TokenHash).toBe(hashToken(token));
		expect(stored[0].row).not.toContain(token);
		const page = await (await admin.client.fetch('/admin/ingest')).text();
		expect(page).toContain('mulesoft-prod');
		expect(page).not.toContain(token);

		expect((await post(null)).status).toBe(401);
		expect((await post(token)).status).toBe(200);
	});

	it('an admin revokes every token of a source; the action is audited', async () => {
		const admin = await userWithRole(app, 'admin');
		await action(admin.client, 'create', 'edi:acme');
		const r = await (await action(admin.client, 'revoke', 'edi:acme')).json();
		expect(r.type).toBe('success');
		const [active] = await app.db.query<{ n: number }>(sql`SELECT countIf(Revoked = 0) AS n FROM ingest_tokens FINAL WHERE Source = 'edi:acme'`);
		expect(active.n).toBe(0);
		const again = await (await action(admin.client, 'revoke', 'edi:acme')).json();
		expect(again).toMatchObject({ type: 'failure', status: 404 });
		const audit = await app.db.query<{ Action: string }>(sql`SELECT Action FROM audit_log WHERE SubjectType = 'ingest_source' AND SubjectId = 'edi:acme' ORDER BY Seq`);
		expect(audit.map((a) => a.Action)).toEqual(['ingest_token_add', 'ingest_token_revoke']);
	});

	it('refuses a bad source name with the reason, and anyone but an admin', async () => {
		const admin = await userWithRole(app, 'admin');
		const bad = await (await action(admin.client, 'create', 'no spaces please')).json();
		expect(bad).toMatchObject({ type: 'failure', status: 400 });
		expect(bad.data).toContain('source name');
		const operator = await userWithRole(app, 'operator');
		expect((await action(operator.client, 'create', 'sneaky')).status).toBe(403);
		expect((await operator.client.fetch('/admin/ingest')).status).toBe(403);
	});
});
