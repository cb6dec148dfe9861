/**
 * Loads the flow catalogue from config/flows.yaml (or SYNCSCOPE_FLOWS), validated with zod.
 * Errors name the file, the path inside it and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { catalogueSchema, type Catalogue, type Flow } from './schema';

export class CatalogueError extends Error {}

export function parseCatalogue(text: string, source = 'flows.yaml'): Catalogue {
	let doc: unknown;
	try {
		doc = parse(text);
	} catch (e) {
		throw new CatalogueError(`${source}: not valid YAML: ${(e as Error).message}`);
	}
	const r = catalogueSchema.safeParse(doc);
	if (!r.success) {
		const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
		throw new CatalogueError(`${source} is invalid:\n${lines.join('\n')}`);
	}
	return r.data;
}

export function catalogueFile(): string {
	return resolve(process.env.SYNCSCOPE_FLOWS ?? 'config/flows.yaml');
}

const KEY = Symbol.for('syncscope.catalogue');
type G = typeof globalThis & { [KEY]?: Catalogue };

/** The catalogue in use (loaded once per process; setCatalogue replaces it after an admin edit). */
export function catalogue(): Catalogue {
	const g = globalThis as G;
	return (g[KEY] ??= parseCatalogue(readFileSync(catalogueFile(), 'utf8'), catalogueFile()));
}

export function setCatalogue(c: Catalogue): void {
	(globalThis as G)[KEY] = c;
}

export function findFlow(id: string): Flow | undefined {
	return catalogue().flows.find((f) => f.id === id);
}
