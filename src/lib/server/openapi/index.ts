/**
 * The OpenAPI 3.1 document, merged from one fragment per domain. To publish a domain's endpoints,
 * add its fragment to FRAGMENTS (one import, one entry).
 */
import { auth } from './auth';
import { flows } from './flows';
import { lineage } from './lineage';
import { exceptions } from './exceptions';
import { interpretation } from './interpretation';
import { reconciliation } from './reconciliation';
import { alerts } from './alerts';
import type { OpenApiFragment } from './types';

export type { OpenApiFragment } from './types';

const FRAGMENTS: OpenApiFragment[] = [auth, lineage, exceptions, flows, interpretation, alerts, reconciliation];

export function openApiDocument(fragments: OpenApiFragment[] = FRAGMENTS) {
	const paths: Record<string, Record<string, unknown>> = {};
	const schemas: Record<string, unknown> = {
		Error: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }
	};
	for (const f of fragments) {
		for (const [path, ops] of Object.entries(f.paths)) {
			for (const method of Object.keys(ops)) {
				if (paths[path]?.[method]) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is defined twice`);
			}
			paths[path] = { ...paths[path], ...ops };
		}
		for (const [name, schema] of Object.entries(f.schemas ?? {})) {
			if (name in schemas) throw new Error(`OpenAPI: schema ${name} is defined twice`);
			schemas[name] = schema;
		}
	}
	return {
		openapi: '3.1.0',
		info: {
			title: 'Syncscope API',
			version: '1',
			description: 'Lineage, exceptions, SLAs and administration of Syncscope. Authenticate with the session cookie (POST /api/v1/session) or `Authorization: Bearer <API token>`.'
		},
		servers: [{ url: '/' }],
		security: [{ bearer: [] }, { session: [] }],
		paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
		components: {
			securitySchemes: {
				bearer: { type: 'http', scheme: 'bearer', description: 'An API token created by an admin (sst_…)' },
				session: { type: 'apiKey', in: 'cookie', name: 'syncscope_session' }
			},
			schemas
		}
	};
}
