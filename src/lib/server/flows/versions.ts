/**
 * Versioned editing of the flow catalogue. config/flows.yaml is version 0; every admin save appends
 * a validated document to flow_catalogue_versions with its author, comment and the flows it changed
 * (the table is append-only; each save is also appended to the shared audit log). The newest version
 * is the catalogue in use (loadLatestCatalogue at start, setCatalogue after a save).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendAudit } from '../audit/log';
import { db, sql, type Db } from '../db';
import { logger } from '../log';
import { syncScope } from '../reconciliation/scope';
import { catalogue, catalogueFile, parseCatalogue, setCatalogue, CatalogueError } from './catalogue';
import type { Catalogue } from './schema';

export interface VersionInfo {
	version: number;
	author: string;
	comment: string;
	changedFlows: string[];
	createdAt: string;
	sha256: string;
}

export class VersionConflictError extends Error {}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every saved version, newest first (version 0, the file, is not a row). */
export async function listVersions(d: Db = db()): Promise<VersionInfo[]> {
	return d.query<VersionInfo>(sql`
		SELECT Version AS version, Author AS author, Comment AS comment, ChangedFlows AS changedFlows,
			formatDateTime(CreatedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS createdAt, Sha256 AS sha256
		FROM flow_catalogue_versions FINAL ORDER BY Version DESC LIMIT 200`);
}

/** The YAML text of a version (latest when omitted; the file when nothing was saved yet). */
export async function versionDocument(version?: number, d: Db = db()): Promise<{ version: number; document: string }> {
	const rows = await d.query<{ version: number; document: string }>(
		version === undefined
			? sql`SELECT Version AS version, Document AS document FROM flow_catalogue_versions FINAL ORDER BY Version DESC LIMIT 1`
			: sql`SELECT Version AS version, Document AS document FROM flow_catalogue_versions FINAL WHERE Version = ${{ UInt32: version }}`
	);
	if (rows[0]) return rows[0];
	if (version === undefined || version === 0) return { version: 0, document: readFileSync(catalogueFile(), 'utf8') };
	throw new CatalogueError(`no catalogue version ${version}`);
}

/** Flow ids whose definition differs between two catalogues (added, removed or changed). */
export function changedFlows(before: Catalogue, after: Catalogue): string[] {
	const a = new Map(before.flows.map((f) => [f.id, JSON.stringify(f)]));
	const b = new Map(after.flows.map((f) => [f.id, JSON.stringify(f)]));
	const ids = new Set([...a.keys(), ...b.keys()]);
	return [...ids].filter((id) => a.get(id) !== b.get(id)).sort();
}

let saving: Promise<unknown> = Promise.resolve();

/**
 * Validate and save a new version. baseVersion is the version the editor started from: a save on
 * top of someone else's newer save is refused (VersionConflictError) rather than silently lost.
 */
export async function saveVersion(
	input: { document: string; author: string; role?: string; comment: string; baseVersion: number },
	d: Db = db()
): Promise<VersionInfo> {
	const next = parseCatalogue(input.document, 'the edited catalogue');
	const run = saving.then(async () => {
		const current = await versionDocument(undefined, d);
		if (current.version !== input.baseVersion) {
			throw new VersionConflictError(`version ${current.version} was saved after you opened version ${input.baseVersion}; reload and re-apply your change`);
		}
		const changed = changedFlows(parseCatalogue(current.document), next);
		const info = { version: current.version + 1, author: input.author, comment: input.comment, changedFlows: changed, sha256: sha(input.document) };
		await d.insertRows('flow_catalogue_versions', [
			{ Version: info.version, Document: input.document, Sha256: info.sha256, Author: info.author, Comment: info.comment, ChangedFlows: changed }
		]);
		setCatalogue(next);
		setLoaded(info.version);
		await keepReconPoints(next, d);
		await appendAudit(async () => ({
			actor: input.author,
			role: input.role ?? '',
			action: 'flow_catalogue_save',
			subjectType: 'flow_catalogue',
			subjectId: `v${info.version}`,
			fromState: `v${current.version}`,
			toState: `v${info.version}`,
			comment: input.comment,
			payloadSha256: info.sha256,
			result: 'ok',
			data: { changedFlows: changed }
		}));
		return { ...info, createdAt: new Date().toISOString() };
	});
	saving = run.catch(() => undefined);
	return run;
}

/** The saved version this process uses (0: the file), shared by the console bundle and the CLI. */
const LOADED = Symbol.for('syncscope.catalogue.version');
const loaded = () => ((globalThis as Record<symbol, number | undefined>)[LOADED] ?? 0);
const setLoaded = (v: number) => ((globalThis as Record<symbol, number | undefined>)[LOADED] = v);

/** At start: make the newest saved version the catalogue in use. */
export async function loadLatestCatalogue(d: Db = db()): Promise<number> {
	const latest = await versionDocument(undefined, d);
	if (latest.version > 0) setCatalogue(parseCatalogue(latest.document, `catalogue version ${latest.version}`));
	setLoaded(latest.version);
	await keepReconPoints(catalogue(), d);
	return latest.version;
}

const log = logger('catalogue');

/**
 * recon_points keeps the points of the catalogue's reconciliation rules (migration 402): a point new
 * to them is kept from now on and backfilled in the background. Returns the backfill (tests await it).
 */
export async function keepReconPoints(c: Catalogue, d: Db = db()): Promise<Promise<void>> {
	try {
		const { added, backfilled } = await syncScope(c, d, (msg, fields) => log.info(msg, fields));
		if (added.length) log.info('reconciliation points added', { points: added.map((p) => `${p.flow}/${p.step}/${p.keyName}`) });
		return backfilled;
	} catch (e) {
		// the catalogue is in use either way; the next load or save tries again
		log.warn('reconciliation points not updated', { err: e });
		return Promise.resolve();
	}
}

/** Load a version another console saved, if there is one; returns it (null: nothing newer). */
export async function refreshCatalogue(d: Db = db()): Promise<number | null> {
	const [r] = await d.query<{ v: number }>(sql`SELECT max(Version) AS v FROM flow_catalogue_versions`);
	if (!r || Number(r.v) <= loaded()) return null;
	return loadLatestCatalogue(d);
}

/**
 * Server mode runs several consoles: each checks for a newer saved catalogue every intervalMs, so
 * an edit made on one reaches dashboards and alerts on all of them without a restart.
 */
export function followCatalogue(d: Db = db(), log: (msg: string, version: number) => void = () => {}, intervalMs = 15_000): () => void {
	const timer = setInterval(() => {
		refreshCatalogue(d)
			.then((v) => v !== null && log('flow catalogue reloaded', v))
			.catch(() => undefined);
	}, intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}
