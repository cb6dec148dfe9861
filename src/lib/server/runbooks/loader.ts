/**
 * Runbooks come from YAML files in runbooks/ (validated at start; errors name file, path and
 * problem) and from versions saved in the console (runbook_versions): the newest version of an id
 * wins over its file. Each console save is a new version and an audit row.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { config } from '../config';
import { db, sql } from '../db';
import { appendAudit } from '../audit/log';
import { sha256Hex } from '../audit/canonical';
import { runbookSchema, type Runbook } from './schema';

export class RunbookError extends Error {
	constructor(
		message: string,
		readonly issues: string[] = []
	) {
		super(message);
	}
}

/** Parse and validate one runbook document; throws RunbookError with "source: path: message" lines. */
export function parseRunbook(text: string, source: string): Runbook {
	let doc: unknown;
	try {
		doc = parse(text);
	} catch (e) {
		const msg = `${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`;
		throw new RunbookError(msg, [msg]);
	}
	const r = runbookSchema.safeParse(doc);
	if (!r.success) {
		const issues = r.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
		throw new RunbookError(`invalid runbook\n  ${issues.join('\n  ')}`, issues);
	}
	return r.data;
}

export interface LoadedRunbook {
	runbook: Runbook;
	yaml: string;
	/** 0 = the file in the repo; 1.. = console versions */
	version: number;
	source: string;
}

/** Read every runbooks/*.yaml; collects all problems before throwing, so one start shows them all. */
export function loadRunbookFiles(dir = config().runbooksDir): LoadedRunbook[] {
	const abs = resolve(dir);
	if (!existsSync(abs)) return [];
	const out: LoadedRunbook[] = [];
	const problems: string[] = [];
	for (const f of readdirSync(abs).filter((n) => /\.ya?ml$/.test(n)).sort()) {
		const yaml = readFileSync(join(abs, f), 'utf8');
		try {
			out.push({ runbook: parseRunbook(yaml, join(dir, f)), yaml, version: 0, source: join(dir, f) });
		} catch (e) {
			problems.push(...((e as RunbookError).issues.length ? (e as RunbookError).issues : [(e as Error).message]));
		}
	}
	const ids = new Map<string, string>();
	for (const l of out) {
		if (ids.has(l.runbook.id)) problems.push(`${l.source}: id: duplicate runbook id ${l.runbook.id} (also in ${ids.get(l.runbook.id)})`);
		ids.set(l.runbook.id, l.source);
	}
	if (problems.length) throw new RunbookError(`runbooks are invalid:\n  ${problems.join('\n  ')}`, problems);
	return out;
}

const KEY = Symbol.for('syncscope.runbookFiles');
type G = typeof globalThis & { [KEY]?: LoadedRunbook[] };

function files(): LoadedRunbook[] {
	const g = globalThis as G;
	return (g[KEY] ??= loadRunbookFiles());
}

/** Replace the file runbooks (tests, or a reload). */
export function setRunbookFiles(list: LoadedRunbook[] | undefined): void {
	(globalThis as G)[KEY] = list;
}

/** Every runbook in effect: the newest console version of each id, else its file. */
export async function runbooks(): Promise<LoadedRunbook[]> {
	const saved = await db().query<{ RunbookId: string; Version: number; Yaml: string }>(
		sql`SELECT RunbookId, Version, Yaml FROM runbook_versions FINAL ORDER BY RunbookId, Version DESC LIMIT 1 BY RunbookId`
	);
	const byId = new Map(files().map((l) => [l.runbook.id, l]));
	for (const s of saved) {
		try {
			byId.set(s.RunbookId, { runbook: parseRunbook(s.Yaml, `${s.RunbookId} v${s.Version}`), yaml: s.Yaml, version: s.Version, source: 'console' });
		} catch {
			// a saved version was validated when saved; a schema change since then keeps the file version
		}
	}
	return [...byId.values()].sort((a, b) => a.runbook.id.localeCompare(b.runbook.id));
}

/** The versions saved for one id, newest first. */
export async function runbookHistory(id: string): Promise<{ Version: number; Author: string; At: string; Yaml: string }[]> {
	return db().query(
		sql`SELECT Version, Author, At, Yaml FROM runbook_versions FINAL WHERE RunbookId = ${{ String: id }} ORDER BY Version DESC`
	);
}

/** Validate and save a new version (audited). The id in the YAML must match `id` when editing. */
export async function saveRunbook(yaml: string, user: { email: string; role: string }, id?: string): Promise<LoadedRunbook> {
	const rb = parseRunbook(yaml, id ?? 'runbook');
	if (id && rb.id !== id) throw new RunbookError(`id cannot change (was ${id}, now ${rb.id})`, [`id: cannot change (was ${id})`]);
	let version = 0;
	await appendAudit(async () => {
		const cur = await db().query<{ v: number }>(
			sql`SELECT max(Version) AS v FROM runbook_versions WHERE RunbookId = ${{ String: rb.id }}`
		);
		version = (cur[0]?.v ?? 0) + 1;
		return {
			actor: user.email,
			role: user.role,
			action: 'runbook_save',
			subjectType: 'runbook',
			subjectId: rb.id,
			payloadSha256: sha256Hex(yaml),
			result: 'ok',
			data: { version }
		};
	});
	await db().insertRows('runbook_versions', [
		{ RunbookId: rb.id, Version: version, Yaml: yaml, Author: user.email, At: new Date().toISOString().replace('T', ' ').replace('Z', '') }
	]);
	return { runbook: rb, yaml, version, source: 'console' };
}
