/**
 * OpenAPI 3.1 fragment for the flow catalogue and SLA KPIs (merged into the document by
 * openapi/index.ts). Response schemas come from the same zod schemas the endpoints use.
 */
import { z } from 'zod';
import { flowKpisSchema, flowSummarySchema } from '../sla/schemas';
import { authErrors, errorResponse, jsonResponse, type OpenApiFragment } from './types';

const schemas = {
	FlowSummary: z.toJSONSchema(flowSummarySchema, { target: 'draft-2020-12' }),
	FlowKpis: z.toJSONSchema(flowKpisSchema, { target: 'draft-2020-12' }),
	FlowList: {
		type: 'object',
		required: ['version', 'flows'],
		properties: { version: { type: 'integer', description: 'catalogue version (0 = config/flows.yaml)' }, flows: { type: 'array', items: { $ref: '#/components/schemas/FlowSummary' } } }
	}
};

const paths = {
	'/api/v1/flows': {
		get: {
			operationId: 'listFlows',
			summary: 'The flow catalogue in use: flows, steps, owners and SLA objectives',
			tags: ['flows'],
			responses: {
				'200': jsonResponse('The catalogue version in use and its flows', 'FlowList'),
				...authErrors
			}
		}
	},
	'/api/v1/flows/{flow}/kpis': {
		get: {
			operationId: 'flowKpis',
			summary: 'Business KPIs of one flow over a window',
			description:
				'Counts are of business transactions (distinct correlation IDs whose first span started in [from, to)). A transaction that failed and later succeeded counts as succeeded and in replays; failed = last outcome failed or rejected. ' +
				'Quantiles are quantilesDD with 1% relative accuracy, in milliseconds, null when there is no data.',
			tags: ['flows'],
			parameters: [
				{ name: 'flow', in: 'path', required: true, schema: { type: 'string' } },
				{ name: 'from', in: 'query', required: false, description: 'ISO 8601 start (default: 24 h before to)', schema: { type: 'string', format: 'date-time' } },
				{ name: 'to', in: 'query', required: false, description: 'ISO 8601 end, exclusive (default: now); at most 31 days after from', schema: { type: 'string', format: 'date-time' } }
			],
			responses: {
				'200': jsonResponse('KPIs of the flow in the window', 'FlowKpis'),
				'400': errorResponse('Invalid from/to'),
				'404': errorResponse('No such flow'),
				...authErrors
			}
		}
	}
};

export const flows: OpenApiFragment = { paths, schemas };
