/** Request metrics are labelled by SvelteKit route id, never by raw path (bounded series). */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_HANDLER } from '../../cli/console-server';
import { loadRouteLabeler, routeLabeler } from '../../cli/console-routes';

describe('route labels', () => {
	it('maps paths to route ids, assets to one label, and anything else to "unmatched"', () => {
		const label = routeLabeler([
			{ id: '/(app)/exceptions/[id]', pattern: /^\/exceptions\/([^/]+?)\/?$/ },
			{ id: '/login', pattern: /^\/login\/?$/ }
		]);
		expect(label('/exceptions/01HZX')).toBe('/(app)/exceptions/[id]');
		expect(label('/exceptions/other-id')).toBe('/(app)/exceptions/[id]');
		expect(label('/login')).toBe('/login');
		expect(label('/_app/immutable/chunks/x.js')).toBe('/_app/[asset]');
		expect(label('/wp-admin/setup.php')).toBe('unmatched');
	});

	it.runIf(existsSync(BUILD_HANDLER))('reads the routes of the built console', async () => {
		const label = await loadRouteLabeler(dirname(BUILD_HANDLER));
		expect(label('/login')).toBe('/login');
		expect(label('/lineage')).toBe('/(app)/lineage');
	});
});
