/**
 * OpenAPI 3.1 fragment for the exceptions and action-endpoint API: `paths` and the `schemas` they
 * reference (under #/components/schemas). The console's openapi/index.ts merges it.
 */
import { ACTIONS, STATES } from '../exceptions/state';
import type { OpenApiFragment } from './types';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({ description, content: { 'application/json': { schema: ref('ExceptionProblem') } } });
const jsonBody = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const ok = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const idParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const unauth = { '401': { description: 'not signed in' }, '403': problem('your role may not do this') };

export const schemas = {
	ExceptionProblem: { type: 'object', required: ['message', 'error'], properties: { message: { type: 'string', description: 'why, in words a person can act on' }, error: { type: 'string', description: 'the same as message' }, issues: { type: 'array', items: { type: 'string' } } } },
	ExceptionState: { type: 'string', enum: [...STATES] },
	ExceptionAction: { type: 'string', enum: [...ACTIONS] },
	ExceptionSummary: {
		type: 'object',
		required: ['id', 'flow', 'step', 'correlationId', 'errorClass', 'errorCode', 'amount', 'currency', 'state', 'attempts', 'firstSeen', 'lastSeen', 'owner'],
		properties: {
			id: { type: 'string', description: 'hex SHA-256 prefix of "flow|message id or idempotency key"' },
			flow: { type: 'string' },
			step: { type: 'string' },
			correlationId: { type: 'string' },
			messageId: { type: 'string' },
			errorClass: { type: 'string' },
			errorCode: { type: 'string' },
			amount: { type: ['number', 'null'] },
			currency: { type: 'string' },
			state: ref('ExceptionState'),
			attempts: { type: 'integer', description: 'failed attempts, each span counted once' },
			firstSeen: { type: 'string', description: 'UTC, "YYYY-MM-DD hh:mm:ss.fffffffff"' },
			lastSeen: { type: 'string' },
			owner: { type: 'string', description: 'assignee, else the runbook team, else the flow technical owner' }
		}
	},
	ExceptionActionRequest: {
		type: 'object',
		required: ['action'],
		properties: {
			action: ref('ExceptionAction'),
			comment: { type: 'string', maxLength: 4000, description: 'required for reject_replay and discard' },
			assignee: { type: 'string', description: 'for assign' },
			payload: { type: 'string', description: 'for request_replay: a corrected dead-letter payload (edit-then-replay; JSON if the dead letter is JSON, at most 64 KiB); the approval binds to its SHA-256 and the original\'s' },
			payloadBase: { type: 'string', description: 'with payload: the SHA-256 of the dead letter the correction was made from (refused with 409 when a newer one arrived)' },
			payloadSha256: { type: 'string', description: 'for approve_replay: the SHA-256 of the payload the approver reviewed (refused with 409 when the request now sends another)' }
		}
	},
	ActionEndpoint: {
		type: 'object',
		properties: { id: { type: 'string' }, name: { type: 'string' }, url: { type: 'string' }, flows: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' }, disabledReason: { type: 'string' } }
	}
};

export const paths = {
	'/api/v1/exceptions': {
		get: {
			tags: ['exceptions'],
			summary: 'List exceptions (failed business messages)',
			parameters: [
				{ name: 'state', in: 'query', description: 'comma-separated states', schema: { type: 'string' } },
				...['flow', 'step', 'system', 'partner', 'errorClass', 'errorCode', 'owner', 'key'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
				{ name: 'minAmount', in: 'query', schema: { type: 'number' } },
				{ name: 'olderThanMinutes', in: 'query', schema: { type: 'integer' } },
				{ name: 'newerThanMinutes', in: 'query', schema: { type: 'integer' } },
				{ name: 'view', in: 'query', description: "'attention': what needs a person (open, replay requested, rejected, or assigned to the caller and not closed); 'all' (default). A state filter replaces it.", schema: { type: 'string', enum: ['attention', 'all'], default: 'all' } },
				{ name: 'sort', in: 'query', description: "'risk': value at risk, then the oldest first", schema: { type: 'string', enum: ['risk', 'lastSeen', 'firstSeen', 'attempts', 'amount'], default: 'lastSeen' } },
				{ name: 'dir', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
				{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
				{ name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
				{ name: 'cursor', in: 'query', description: 'the `next` of the previous page (keyset paging; bound to sort and dir)', schema: { type: 'string' } }
			],
			responses: {
				'200': ok('matching exceptions', { type: 'object', required: ['total', 'items'], properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('ExceptionSummary') }, groups: { type: 'array', items: { type: 'object' } }, next: { type: ['string', 'null'], description: 'cursor of the next page, null on the last' } } }),
				'400': problem('a filter is invalid'),
				...unauth
			}
		}
	},
	'/api/v1/exceptions/export': {
		get: {
			tags: ['exceptions'],
			summary: 'Export every exception matching the filters (the list\'s query parameters), streamed in the list\'s order',
			parameters: [{ name: 'format', in: 'query', schema: { type: 'string', enum: ['csv', 'json'], default: 'csv' } }],
			responses: { '200': { description: 'text/csv (RFC 4180) or application/json { total, items }' }, '400': problem('a filter or the format is invalid'), ...unauth }
		}
	},
	'/api/v1/exceptions/{id}': {
		get: {
			tags: ['exceptions'],
			summary: 'One exception with its runbook, payload, history, delivery log and the actions the caller may take',
			parameters: [idParam('id', 'exception id')],
			responses: { '200': ok('the exception', { type: 'object' }), '404': { description: 'no such exception' }, ...unauth }
		}
	},
	'/api/v1/exceptions/{id}/actions': {
		post: {
			tags: ['exceptions'],
			summary: 'Act on an exception (retry, quarantine, release, request/approve/reject replay, resolve, discard, assign, comment)',
			description: 'Audited. Approving a replay needs the replay:approve permission and a person other than the requester (admins included); the approval is bound to the SHA-256 of payload and target. A delivery the action starts runs after the response.',
			parameters: [idParam('id', 'exception id')],
			requestBody: jsonBody(ref('ExceptionActionRequest')),
			responses: {
				'200': ok('the new state', { type: 'object', required: ['id', 'action', 'state'], properties: { id: { type: 'string' }, action: ref('ExceptionAction'), state: ref('ExceptionState') } }),
				'400': problem('the body is invalid'),
				'404': problem('no such exception'),
				'409': problem('the action is not valid in the current state, or the approval is void'),
				...unauth
			}
		}
	},
	'/api/v1/exceptions/bulk': {
		post: {
			tags: ['exceptions'],
			summary: 'Bulk action on ids or on everything a filter matches: dry run (default) or start a job',
			requestBody: jsonBody({ allOf: [ref('ExceptionActionRequest'), { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' }, maxItems: 1000 }, filter: { type: 'object', additionalProperties: { type: 'string' }, description: 'instead of ids: the list\'s query parameters (at most 10,000 matches)' }, dryRun: { type: 'boolean', default: true } } }] }),
			responses: { '200': ok('the dry run: total, eligible, willSend, awaitApproval, duplicates, invalid, alreadyDelivered', { type: 'object' }), '202': ok('the job started', { type: 'object' }), '400': problem('invalid body'), ...unauth }
		}
	},
	'/api/v1/exceptions/bulk/{job}': {
		get: { tags: ['exceptions'], summary: 'Progress of a bulk job', parameters: [idParam('job', 'job id')], responses: { '200': ok('progress', { type: 'object' }), '404': { description: 'unknown job' }, ...unauth } }
	},
	'/api/v1/exceptions/evidence/{key}': {
		get: {
			tags: ['exceptions'],
			summary: 'Evidence pack for one business key (exceptions, audit rows with hashes and HMACs, deliveries, chain check, the signed audit head checkpoint)',
			parameters: [idParam('key', 'correlation ID, message ID, idempotency key or entity ID'), { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } }],
			responses: { '200': { description: 'JSON pack or CSV audit trail', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } }, ...unauth }
		}
	},
	'/api/v1/action-endpoints': {
		get: { tags: ['actions'], summary: 'List action endpoints (admin)', responses: { '200': ok('endpoints', { type: 'object', properties: { items: { type: 'array', items: ref('ActionEndpoint') } } }), ...unauth } },
		post: {
			tags: ['actions'],
			summary: 'Create an action endpoint (admin); the URL must pass the SSRF guard',
			requestBody: jsonBody({ type: 'object', required: ['name', 'url'], properties: { name: { type: 'string' }, url: { type: 'string', format: 'uri' }, secret: { type: 'string', description: 'whsec_<base64>; generated when omitted' }, flows: { type: 'array', items: { type: 'string' } } } }),
			responses: { '201': ok('created; the secret is returned this once', { type: 'object', required: ['id', 'secret'], properties: { id: { type: 'string' }, secret: { type: 'string' } } }), '400': problem('invalid, or the target is private/loopback and not allow-listed'), ...unauth }
		}
	},
	'/api/v1/action-endpoints/{id}': {
		patch: { tags: ['actions'], summary: 'Change an endpoint (admin)', parameters: [idParam('id', 'endpoint id')], requestBody: jsonBody({ type: 'object', properties: { name: { type: 'string' }, url: { type: 'string' }, flows: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' } } }), responses: { '200': ok('updated', ref('ActionEndpoint')), '400': problem('invalid'), '404': { description: 'no such endpoint' }, ...unauth } },
		delete: { tags: ['actions'], summary: 'Delete an endpoint (admin)', parameters: [idParam('id', 'endpoint id')], responses: { '204': { description: 'deleted' }, '404': { description: 'no such endpoint' }, ...unauth } }
	},
	'/api/v1/action-endpoints/allowlist': {
		get: { tags: ['actions'], summary: 'The SSRF allow-list (admin)', responses: { '200': ok('entries', { type: 'object' }), ...unauth } },
		post: { tags: ['actions'], summary: 'Add or remove an allow-list entry host:port (admin)', requestBody: jsonBody({ type: 'object', required: ['hostPort'], properties: { hostPort: { type: 'string' }, allowed: { type: 'boolean' } } }), responses: { '200': ok('entries', { type: 'object' }), '400': problem('invalid'), ...unauth } }
	}
};

export const exceptions: OpenApiFragment = { paths, schemas };

export default exceptions;
