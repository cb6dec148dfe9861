/** OpenAPI: lineage by key. */
import { authErrors, errorResponse, jsonResponse, type OpenApiFragment } from './types';

export const lineage: OpenApiFragment = {
	paths: {
		'/api/v1/lineage': {
			get: {
				tags: ['lineage'],
				summary: 'Everything that happened to one business object, across systems and traces',
				description: 'The key may be a correlation ID, any business key (order, PO, ASN, customer, item, invoice), a message ID or a 32-hex trace ID. Spans and logs are sorted by time; a re-sent span appears once.',
				parameters: [{ name: 'key', in: 'query', required: true, schema: { type: 'string', maxLength: 200 }, example: 'SO-1001' }],
				responses: { '200': jsonResponse('The lineage (empty arrays when nothing carries the key)', 'Lineage'), '400': errorResponse('Missing or invalid key'), ...authErrors }
			}
		}
	},
	schemas: {
		Lineage: {
			type: 'object',
			required: ['key', 'traces', 'spans', 'logs'],
			properties: {
				key: { type: 'string' },
				traces: { type: 'array', items: { type: 'string' } },
				spans: { type: 'array', items: { $ref: '#/components/schemas/LineageSpan' } },
				logs: { type: 'array', items: { $ref: '#/components/schemas/LineageLog' } }
			}
		},
		LineageSpan: {
			type: 'object',
			properties: {
				traceId: { type: 'string' },
				spanId: { type: 'string' },
				parentSpanId: { type: 'string' },
				service: { type: 'string' },
				name: { type: 'string' },
				start: { type: 'string', format: 'date-time' },
				durationMs: { type: 'number' },
				status: { type: 'string', enum: ['Unset', 'Ok', 'Error'] },
				flow: { type: 'string' },
				step: { type: 'string' },
				source: { type: 'string' },
				target: { type: 'string' },
				outcome: { type: 'string', examples: ['success', 'failed', 'duplicate', 'rejected'] }
			}
		},
		LineageLog: {
			type: 'object',
			properties: {
				time: { type: 'string', format: 'date-time' },
				service: { type: 'string' },
				eventName: { type: 'string', examples: ['integration.dead_letter', 'integration.ack'] },
				body: { type: 'string' },
				flow: { type: 'string' },
				step: { type: 'string' }
			}
		}
	}
};
