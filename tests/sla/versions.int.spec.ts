import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, catalogueFile, CatalogueError, findFlow, setCatalogue, parseCatalogue } from '../../src/lib/server/flows/catalogue';
import { listVersions, loadLatestCatalogue, refreshCatalogue, saveVersion, versionDocument, VersionConflictError } from '../../src/lib/server/flows/versions';
import { EmbeddedDb } from '../../src/lib/server/db/chdb';
import { HttpDb } from '../../src/lib/server/db/http';
import { sql } from '../../src/lib/server/db';
import { testDb, type TestDb } from '../helpers/db';

describe('flow catalogue versions', () => {
	let t: TestDb;
	const shipped = readFileSync(catalogueFile(), 'utf8');
	beforeAll(async () => {
		t = await testDb();
		setCatalogue(parseCatalogue(shipped));
	});
	afterAll(async () => t?.cleanup());

	it('starts at version 0, the shipped file', async () => {
		expect(await versionDocument(undefined, t.db)).toEqual({ version: 0, document: shipped });
		expect(await listVersions(t.db)).toEqual([]);
	});

	it('saves a validated edit as version 1, records who, why and which flows changed, and puts it in use', async () => {
		const edited = shipped.replace('successRate: 0.995\n      e2eP95: 2m', 'successRate: 0.98\n      e2eP95: 2m');
		expect(edited).not.toBe(shipped);
		const v = await saveVersion({ document: edited, author: 'admin@example.com', role: 'admin', comment: 'relax o2c objective', baseVersion: 0 }, t.db);
		expect(v).toMatchObject({ version: 1, author: 'admin@example.com', changedFlows: ['order-to-cash'] });
		expect(findFlow('order-to-cash')?.objectives.successRate).toBe(0.98);
		const list = await listVersions(t.db);
		expect(list.map((x) => [x.version, x.comment, x.changedFlows])).toEqual([[1, 'relax o2c objective', ['order-to-cash']]]);
		const audit = await t.db.query<{ Actor: string; Action: string; SubjectId: string; Comment: string; PayloadSha256: string }>(
			sql`SELECT Actor, Action, SubjectId, Comment, PayloadSha256 FROM audit_log WHERE SubjectType = 'flow_catalogue'`
		);
		expect(audit).toEqual([{ Actor: 'admin@example.com', Action: 'flow_catalogue_save', SubjectId: 'v1', Comment: 'relax o2c objective', PayloadSha256: v.sha256 }]);
	});

	it('refuses an invalid catalogue and a save on top of a newer version', async () => {
		await expect(saveVersion({ document: 'flows: [{ id: "Bad Id" }]', author: 'a', comment: 'x', baseVersion: 1 }, t.db)).rejects.toBeInstanceOf(CatalogueError);
		await expect(saveVersion({ document: shipped, author: 'b', comment: 'stale editor', baseVersion: 0 }, t.db)).rejects.toBeInstanceOf(VersionConflictError);
		expect((await listVersions(t.db)).length).toBe(1);
	});

	it('restores an old version as a new one and reloads the newest at start', async () => {
		const v0 = await versionDocument(0, t.db);
		await saveVersion({ document: v0.document, author: 'c', comment: 'restore v0', baseVersion: 1 }, t.db);
		setCatalogue(parseCatalogue('flows: []'));
		expect(await loadLatestCatalogue(t.db)).toBe(2);
		expect(catalogue().flows.find((f) => f.id === 'order-to-cash')?.objectives.successRate).toBe(0.995);
	});

	it('another console picks up a version saved elsewhere, and only when there is a newer one', async () => {
		expect(await refreshCatalogue(t.db)).toBeNull();
		// another console (its own handle on the same store) saves version 3
		const other = t.transport === 'http' ? new HttpDb({ url: t.config.clickhouseUrl!, username: 'default', password: '', database: 'default' }) : new EmbeddedDb(t.dir);
		try {
			const edited = (await versionDocument(undefined, other)).document.replace('successRate: 0.995\n      e2eP95: 2m', 'successRate: 0.97\n      e2eP95: 2m');
			await other.insertRows('flow_catalogue_versions', [{ Version: 3, Document: edited, Sha256: 'x', Author: 'elsewhere', Comment: 'saved on console B', ChangedFlows: ['order-to-cash'] }]);
		} finally {
			await other.close();
		}
		expect(findFlow('order-to-cash')?.objectives.successRate).toBe(0.995);
		expect(await refreshCatalogue(t.db)).toBe(3);
		expect(findFlow('order-to-cash')?.objectives.successRate).toBe(0.97);
		expect(await refreshCatalogue(t.db)).toBeNull();
	});
});
