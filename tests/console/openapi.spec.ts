import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/lib/server/openapi';
import { scanRoutes } from '../auth/route-scan';

describe('OpenAPI document', () => {
	const doc = openApiDocument();

	it('is OpenAPI 3.1 with the documented operations', () => {
		expect(doc.openapi).toBe('3.1.0');
		expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/lineage', '/api/v1/session', '/api/v1/users', '/api/v1/tokens']));
		expect(doc.paths['/api/v1/lineage']).toHaveProperty('get');
	});

	it('resolves every $ref', () => {
		const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]);
		expect(refs.length).toBeGreaterThan(5);
		for (const r of refs) expect(doc.components.schemas, r).toHaveProperty(r);
	});

	it('describes my API routes (lineage, auth) that exist in src/routes', () => {
		const served = new Set(scanRoutes().filter((e) => e.kind === 'api').map((e) => `${e.method} ${e.path}`));
		for (const [path, ops] of Object.entries(doc.paths)) {
			for (const method of Object.keys(ops)) {
				const p = path.replace(/\{[^}]+\}/g, 'x');
				expect(served, `${method.toUpperCase()} ${path} is documented but not served`).toContain(`${method.toUpperCase()} ${p}`);
			}
		}
	});

	it('refuses two fragments defining the same operation', () => {
		const f = { paths: { '/a': { get: {} } } };
		expect(() => openApiDocument([f, f])).toThrow(/defined twice/);
	});
});
