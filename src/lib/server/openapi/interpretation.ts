/** OpenAPI: the re-interpret job (src/lib/server/interpret/reinterpret.ts). */
import { authErrors, errorResponse, jsonBody, jsonResponse, type OpenApiFragment } from './types';
import { MAX_DAYS } from '../interpret/reinterpret';

const status = {
	type: 'object',
	required: ['jobId', 'state', 'done', 'total', 'message', 'startedAt'],
	properties: {
		jobId: { type: 'string' },
		state: { type: 'string', enum: ['running', 'done', 'failed'], description: 'failed also for a job whose process stopped (no heartbeat for a minute)' },
		done: { type: 'integer', description: 'spans and log records read so far' },
		total: { type: 'integer', description: 'spans and log records stored in the window when the job started' },
		message: { type: 'string', description: 'what the job is doing (the day and step), or how it ended' },
		startedAt: { type: 'string', format: 'date-time' },
		finishedAt: { type: 'string', format: 'date-time' }
	}
};

export const interpretation: OpenApiFragment = {
	paths: {
		'/api/v1/interpretation/reinterpret': {
			post: {
				operationId: 'startReinterpret',
				tags: ['admin'],
				summary: 'Re-interpret stored telemetry with the rule version in use',
				description:
					'Applies the rules in use to the spans and log records of the last `days` UTC days (today included), oldest day first, so lineage, ' +
					'the business-key index, exceptions and SLA figures read as if the telemetry had arrived under them. Each day is staged, then its ' +
					'stored rows and everything derived from them are replaced; an interrupted job is finished by the next one. A second run with the ' +
					'same rules changes nothing. Actions people took on exceptions stay with the exception id they were taken on: when the new rules ' +
					'give a failure another flow or key, it appears as a new open exception and the old one (with its history) no longer lists. ' +
					'One job at a time across processes; the job runs in the server that received the request.',
				requestBody: jsonBody('ReinterpretRequest'),
				responses: {
					'202': jsonResponse('Started; poll GET /api/v1/interpretation/reinterpret/{job}', 'ReinterpretStarted'),
					'400': errorResponse('Invalid days'),
					'409': errorResponse('Another re-interpret job is running'),
					...authErrors
				}
			},
			get: {
				operationId: 'latestReinterpret',
				tags: ['admin'],
				summary: 'The newest re-interpret job',
				responses: { '200': jsonResponse('The newest job, or null before the first', 'ReinterpretLatest'), ...authErrors }
			}
		},
		'/api/v1/interpretation/reinterpret/{job}': {
			get: {
				operationId: 'reinterpretStatus',
				tags: ['admin'],
				summary: "A re-interpret job's progress",
				parameters: [{ name: 'job', in: 'path', required: true, schema: { type: 'string' } }],
				responses: { '200': jsonResponse('Its progress', 'ReinterpretStatus'), '404': errorResponse('No such job'), ...authErrors }
			}
		}
	},
	schemas: {
		ReinterpretRequest: { type: 'object', required: ['days'], properties: { days: { type: 'integer', minimum: 1, maximum: MAX_DAYS } } },
		ReinterpretStarted: { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } },
		ReinterpretStatus: status,
		ReinterpretLatest: { type: 'object', properties: { job: { oneOf: [{ $ref: '#/components/schemas/ReinterpretStatus' }, { type: 'null' }] } } }
	}
};
