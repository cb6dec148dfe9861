/**
 * Finds every endpoint and page the console serves by scanning src/routes, with the permission
 * each handler passes to authorize() (and the permissions its parent layouts require), so the
 * role × endpoint matrix covers routes other domains add without anyone editing the test.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export const ROUTES_DIR = join(import.meta.dirname, '../../src/routes');

export interface Endpoint {
	/** e.g. "GET /api/v1/lineage" or "POST /admin/users?/create" */
	label: string;
	method: string;
	path: string;
	kind: 'api' | 'page' | 'action';
	/** every permission the request must pass (handler and parent layouts); empty = none found */
	permissions: string[];
	file: string;
}

const AUTHORIZE = /authorize\(\s*[\w.]+\s*,\s*'([a-z:_-]+)'/g;
const perms = (text: string) => [...text.matchAll(AUTHORIZE)].map((m) => m[1]);

function walk(dir: string): string[] {
	return readdirSync(dir).flatMap((f) => {
		const p = join(dir, f);
		return statSync(p).isDirectory() ? walk(p) : [p];
	});
}

/** "/(app)/lineage/[key]" → "/lineage/x": groups dropped, parameters filled with a sample. */
export function urlFor(dir: string): string {
	const segs = relative(ROUTES_DIR, dir)
		.split(sep)
		.filter((s) => s && !/^\(.+\)$/.test(s) && !/^\[\[.+\]\]$/.test(s))
		.map((s) => s.replace(/\[(\.\.\.)?[^\]]+\]/g, 'x'));
	return '/' + segs.join('/');
}

/** permissions demanded by +layout.server.ts files from the route's directory up to src/routes */
function layoutPermissions(dir: string): string[] {
	const out: string[] = [];
	for (let d = dir; d.startsWith(ROUTES_DIR); d = dirname(d)) {
		const f = join(d, '+layout.server.ts');
		if (existsSync(f)) out.push(...perms(readFileSync(f, 'utf8')));
		if (d === ROUTES_DIR) break;
	}
	return out;
}

/** Split a module's text into the blocks of its exports: name → text up to the next export. */
function exportBlocks(text: string): Map<string, string> {
	const re = /export\s+(?:const|async\s+function|function)\s+(\w+)/g;
	const found = [...text.matchAll(re)];
	return new Map(found.map((m, i) => [m[1], text.slice(m.index, found[i + 1]?.index ?? text.length)]));
}

export function scanRoutes(): Endpoint[] {
	const out: Endpoint[] = [];
	for (const file of walk(ROUTES_DIR)) {
		const name = file.split(sep).pop()!;
		if (name !== '+server.ts' && name !== '+page.server.ts') continue;
		const dir = dirname(file);
		const path = urlFor(dir);
		const text = readFileSync(file, 'utf8');
		const blocks = exportBlocks(text);
		const rel = relative(join(ROUTES_DIR, '../..'), file);
		if (name === '+server.ts') {
			for (const [method, block] of blocks) {
				if (!/^(GET|POST|PUT|PATCH|DELETE)$/.test(method)) continue;
				// outside /api an endpoint is reached with the session like a page (a download): anonymous → /login
				const kind = path.startsWith('/api/') ? 'api' : 'page';
				out.push({ label: `${method} ${path}`, method, path, kind, permissions: perms(block), file: rel });
			}
			continue;
		}
		const layouts = layoutPermissions(dir);
		const load = blocks.get('load');
		if (load) out.push({ label: `GET ${path}`, method: 'GET', path, kind: 'page', permissions: [...layouts, ...perms(load)], file: rel });
		const actions = blocks.get('actions');
		if (actions) {
			const names = [...actions.matchAll(/^\s*(\w+)\s*:\s*async\b/gm)];
			names.forEach((m, i) => {
				const body = actions.slice(m.index, names[i + 1]?.index ?? actions.length);
				const target = m[1] === 'default' ? path : `${path}?/${m[1]}`;
				out.push({ label: `POST ${target}`, method: 'POST', path: target, kind: 'action', permissions: [...layouts, ...perms(body)], file: rel });
			});
		}
	}
	return out.sort((a, b) => a.label.localeCompare(b.label));
}
