/**
 * Versioned rule sets, as the flow catalogue is versioned: config/interpretation.yaml is version 0,
 * every admin save in the workbench appends a validated document (interpretation_versions) and an
 * audit row. The newest version is the one in use; collectors in other processes pick it up within
 * the follow interval.
 */
import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/log';
import { config } from '../config';
import { db, sql, type Db } from '../db';
import { catalogue } from '../flows/catalogue';
import { refreshCatalogue, loadLatestCatalogue } from '../flows/versions';
import { buildRules, parseRules, readRulesFile, rulesFilePath, setActiveRules, type ActiveRules } from './ruleset';

let loadedVersion = -1;

export interface RulesVersionInfo {
	version: number;
	author: string;
	comment: string;
	createdAt: string;
	sha256: string;
}

export class RulesVersionConflict extends Error {}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every saved version, newest first. */
export async function listRuleVersions(d: Db = db()): Promise<RulesVersionInfo[]> {
	return d.query<RulesVersionInfo>(sql`
		SELECT Version AS version, Author AS author, Comment AS comment,
			formatDateTime(CreatedAt, '%Y-%m-%dT%H:%i:%S.%fZ') AS createdAt, Sha256 AS sha256
		FROM interpretation_versions FINAL ORDER BY Version DESC LIMIT 200`);
}

/** The document of a version (newest when omitted; the file when nothing was saved). */
export async function ruleDocument(version?: number, d: Db = db()): Promise<{ version: number; document: string }> {
	const rows = await d.query<{ version: number; document: string }>(
		version === undefined
			? sql`SELECT Version AS version, Document AS document FROM interpretation_versions FINAL ORDER BY Version DESC LIMIT 1`
			: sql`SELECT Version AS version, Document AS document FROM interpretation_versions FINAL WHERE Version = ${{ UInt32: version }}`
	);
	if (rows[0]) return { version: Number(rows[0].version), document: rows[0].document };
	if (version === undefined || version === 0) return { version: 0, document: readRulesFile() };
	throw new RulesVersionConflict(`no rule version ${version}`);
}

/** Compile a document with the catalogue and aliases in use. */
export function compileDocument(document: string, version: number, source = rulesFilePath()): ActiveRules {
	return buildRules(parseRules(document, source), catalogue(), config().keyAliases, version);
}

/** At start: the newest catalogue and rule set become the ones in use. */
export async function loadInterpretation(d: Db = db()): Promise<ActiveRules> {
	await loadLatestCatalogue(d);
	const latest = await ruleDocument(undefined, d);
	const rules = compileDocument(latest.document, latest.version, latest.version ? `rule version ${latest.version}` : rulesFilePath());
	setActiveRules(rules);
	loadedVersion = rules.version;
	return rules;
}

/** Reload when another process saved a newer rule set or catalogue; returns the version loaded, or null. */
export async function refreshInterpretation(current: () => number, d: Db = db()): Promise<number | null> {
	const [r] = await d.query<{ v: number }>(sql`SELECT max(Version) AS v FROM interpretation_versions`);
	const catalogueChanged = (await refreshCatalogue(d)) !== null;
	const newest = Number(r?.v ?? 0);
	if (newest <= current() && !catalogueChanged) return null;
	return (await loadInterpretation(d)).version;
}

/** Follow saves made elsewhere (server mode: several collectors and consoles). */
export function followInterpretation(d: Db = db(), log: (msg: string, version: number) => void = () => {}, intervalMs = 15_000): () => void {
	const timer = setInterval(() => {
		refreshInterpretation(() => loadedVersion, d)
			.then((v) => {
				if (v === null) return;
				loadedVersion = v;
				log('interpretation rules reloaded', v);
			})
			.catch(() => undefined);
	}, intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}

let saving: Promise<unknown> = Promise.resolve();

/** Validate, save as a new version (refused when someone saved since baseVersion) and apply it. */
export async function saveRuleVersion(
	input: { document: string; author: string; role?: string; comment: string; baseVersion: number },
	d: Db = db()
): Promise<RulesVersionInfo> {
	const compiled = compileDocument(input.document, 0, 'the edited rules');
	const run = saving.then(async () => {
		const current = await ruleDocument(undefined, d);
		if (current.version !== input.baseVersion) {
			throw new RulesVersionConflict(`version ${current.version} was saved after you opened version ${input.baseVersion}; reload and re-apply your change`);
		}
		const info = { version: current.version + 1, author: input.author, comment: input.comment, sha256: sha(input.document) };
		await d.insertRows('interpretation_versions', [{ Version: info.version, Document: input.document, Sha256: info.sha256, Author: info.author, Comment: info.comment }]);
		setActiveRules({ ...compiled, version: info.version });
		loadedVersion = info.version;
		await appendAudit(async () => ({
			actor: input.author,
			role: input.role ?? '',
			action: 'interpretation_save',
			subjectType: 'interpretation',
			subjectId: `v${info.version}`,
			fromState: `v${current.version}`,
			toState: `v${info.version}`,
			comment: input.comment,
			payloadSha256: info.sha256,
			result: 'ok'
		}));
		return { ...info, createdAt: new Date().toISOString() };
	});
	saving = run.catch(() => undefined);
	return run;
}
