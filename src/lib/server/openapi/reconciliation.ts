/**
 * OpenAPI 3.1 fragment for reconciliation controls (merged by openapi/index.ts). Response schemas
 * come from the zod schemas the endpoints' documents are typed with (reconciliation/schemas.ts).
 */
import { z } from 'zod';
import { flowResultSchema, keyRowSchema, overviewSchema, STATES } from '../reconciliation/schemas';
import { authErrors, errorResponse, jsonResponse, type OpenApiFragment } from './types';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', io: 'output' });

const schemas = {
	ReconciliationOverview: schema(overviewSchema),
	ReconciliationResult: schema(flowResultSchema),
	ReconciliationKeys: {
		type: 'object',
		required: ['flow', 'rule', 'target', 'state', 'from', 'to', 'keys'],
		properties: {
			flow: { type: 'string' },
			rule: { type: 'string' },
			target: { type: 'string' },
			state: { type: 'string', enum: [...STATES] },
			from: { type: 'string', format: 'date-time' },
			to: { type: 'string', format: 'date-time' },
			keys: { type: 'array', items: schema(keyRowSchema) }
		}
	}
};

const windowParams = [
	{ name: 'window', in: 'query', required: false, description: 'day (default) or hour', schema: { type: 'string', enum: ['day', 'hour'] } },
	{ name: 'start', in: 'query', required: false, description: 'ISO 8601 instant inside the window (floored to the UTC day or hour; default: now)', schema: { type: 'string', format: 'date-time' } }
];
const flowParam = { name: 'flow', in: 'path', required: true, schema: { type: 'string' } };
const DEFINITIONS =
	'A key belongs to the window of its first source point. Per target it is matched (arrived once, compared fields equal), mismatched, duplicated (two or more distinct spans or records), ' +
	'pending (not arrived, inside the grace period), missing (not arrived past grace; required targets), absent (not arrived; optional targets); unexpected keys arrived at the target with no source. docs/reconciliation.md.';

const paths = {
	'/api/v1/reconciliation': {
		get: {
			operationId: 'reconciliationOverview',
			summary: 'Reconciliation figures of every flow with rules, summed over its rules and targets',
			description: DEFINITIONS,
			tags: ['reconciliation'],
			parameters: windowParams,
			responses: { '200': jsonResponse('Per flow: source keys, matched, missing, pending, duplicated, mismatched, unexpected, control totals that differ', 'ReconciliationOverview'), '400': errorResponse('Invalid window or start'), ...authErrors }
		}
	},
	'/api/v1/reconciliation/{flow}': {
		get: {
			operationId: 'reconciliationResult',
			summary: 'Results of every reconciliation rule of a flow: figures per target, trend, control totals',
			description: `${DEFINITIONS} Control totals are the latest integration.control_total report per system, entity type and window inside the window, beside the distinct spans or records telemetry saw at the point (difference = reported − seen).`,
			tags: ['reconciliation'],
			parameters: [flowParam, ...windowParams],
			responses: { '200': jsonResponse('Results of the flow in the window', 'ReconciliationResult'), '400': errorResponse('Invalid window or start'), '404': errorResponse('No such flow'), ...authErrors }
		}
	},
	'/api/v1/reconciliation/{flow}/keys': {
		get: {
			operationId: 'reconciliationKeys',
			summary: 'The keys behind one figure (JSON, or CSV with format=csv)',
			tags: ['reconciliation'],
			parameters: [
				flowParam,
				...windowParams,
				{ name: 'rule', in: 'query', required: true, schema: { type: 'string' } },
				{ name: 'target', in: 'query', required: true, description: 'the target system', schema: { type: 'string' } },
				{ name: 'state', in: 'query', required: true, schema: { type: 'string', enum: [...STATES] } },
				{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100000, default: 200 } },
				{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'] } }
			],
			responses: {
				'200': {
					description: 'The keys, oldest first, each with its lineage key and exception where one exists',
					content: { 'application/json': { schema: { $ref: '#/components/schemas/ReconciliationKeys' } }, 'text/csv': { schema: { type: 'string' } } }
				},
				'400': errorResponse('Invalid parameters'),
				'404': errorResponse('No such flow, rule or target'),
				...authErrors
			}
		}
	}
};

export const reconciliation: OpenApiFragment = { paths, schemas };
