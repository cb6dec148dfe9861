/**
 * Route labels for the console's request metrics: a URL path becomes its SvelteKit route id
 * (`/(app)/exceptions/[id]`), read from the built manifest, so the latency histogram has one series
 * per route rather than one per exception ID.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface RouteDef {
	id: string;
	pattern: RegExp;
}

export type RouteLabeler = (path: string) => string;

/** Load route patterns from build/server/chunks/manifest*.js (adapter-node output). */
export async function loadRouteLabeler(buildDir: string): Promise<RouteLabeler> {
	const chunks = join(buildDir, 'server', 'chunks');
	let routes: RouteDef[] = [];
	const file = existsSync(chunks) ? readdirSync(chunks).find((f) => /^manifest[.-].*\.js$/.test(f)) : undefined;
	if (file) {
		const mod = (await import(pathToFileURL(join(chunks, file)).href)) as Record<string, { _?: { routes?: RouteDef[] } }>;
		const manifest = Object.values(mod).find((v) => v && typeof v === 'object' && v._?.routes);
		routes = manifest?._?.routes ?? [];
	}
	return routeLabeler(routes);
}

export function routeLabeler(routes: RouteDef[]): RouteLabeler {
	return (path) => {
		if (path.startsWith('/_app/')) return '/_app/[asset]';
		for (const r of routes) if (r.pattern.test(path)) return r.id;
		// anything else (favicon, scanners' probes) shares one label: unbounded paths never become series
		return 'unmatched';
	};
}
