/**
 * OpenAPI 3.1 fragment for alerts (merged by openapi/index.ts): the alert board and history, the
 * people's actions (acknowledge, silence), rule settings and notification channels. Request bodies
 * come from the zod schemas the endpoints validate with.
 */
import { z } from 'zod';
import { ackInput, silenceInput } from '../alerts/actions';
import { channelInput, channelPatch } from '../alerts/channels';
import { ruleSettingInput } from '../alerts/settings';
import { authErrors, errorResponse, jsonBody, jsonResponse, type OpenApiFragment } from './types';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', required, properties });
const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const num = { type: 'number' };

const event = obj(
	{ alertKey: str, rule: str, flow: str, kind: str, status: { enum: ['firing', 'resolved'] }, event: { enum: ['firing', 'renotify', 'resolved'] }, value: num, threshold: num, summary: str, startedAt: time, at: time, delivered: { type: 'array', items: str }, suppressed: { type: 'string', description: "why no notification was sent ('' = sent)" } },
	['alertKey', 'rule', 'flow', 'status', 'event', 'at']
);

const schemas = {
	AlertEvent: event,
	AlertView: obj(
		{
			alertKey: { type: 'string', description: '<flow>/<rule>' }, flow: str, flowName: str, rule: str, kind: { enum: ['breach', 'burn-rate', 'dlq-growth'] },
			enabled: { type: 'boolean' }, threshold: num, defaultThreshold: num, thresholdOverride: { type: ['number', 'null'] }, thresholdEditable: { type: 'boolean' },
			channels: { type: 'array', items: str, description: 'channel ids; empty = every channel covering the flow' }, firing: { type: 'boolean' },
			last: { oneOf: [{ $ref: '#/components/schemas/AlertEvent' }, { type: 'null' }] },
			state: obj({ acknowledged: obj({ by: str, at: time, comment: str }), silenced: obj({ by: str, at: time, until: time, comment: str }) })
		},
		['alertKey', 'flow', 'rule', 'enabled', 'threshold', 'firing', 'state']
	),
	AlertAction: obj({ id: str, alertKey: str, flow: str, rule: str, action: { enum: ['acknowledge', 'silence', 'unsilence'] }, episodeStart: time, until: time, comment: str, actor: str, role: str, at: time }),
	AlertDelivery: obj({ at: time, deliveryId: str, alertKey: str, event: str, channelId: str, channelName: str, kind: str, status: { type: 'integer' }, outcome: { enum: ['delivered', 'failed', 'refused'] }, attempts: { type: 'integer' }, error: str, durationMs: { type: 'integer' } }),
	AlertActivity: obj({ at: time, actor: str, role: str, action: str, subjectType: str, subjectId: str, comment: str, data: { type: 'object' } }),
	AlertChannel: obj({ id: str, name: str, kind: { enum: ['slack', 'teams', 'webhook'] }, urlHint: str, flows: { type: 'array', items: str }, enabled: { type: 'boolean' }, updatedBy: str, updatedAt: time }),
	AlertRuleSetting: obj({ flow: str, rule: str, enabled: { type: 'boolean' }, threshold: { type: ['number', 'null'] }, channels: { type: 'array', items: str }, updatedBy: str, updatedAt: time }),
	AlertAckInput: schema(ackInput),
	AlertSilenceInput: schema(silenceInput),
	AlertRuleSettingInput: schema(ruleSettingInput),
	AlertChannelInput: schema(channelInput),
	AlertChannelPatch: schema(channelPatch)
};

const ruleParams = [
	{ name: 'flow', in: 'path', required: true, schema: str },
	{ name: 'rule', in: 'path', required: true, description: 'breach:<objective>, burn-rate or dlq-growth', schema: str }
];
const idParam = [{ name: 'id', in: 'path', required: true, schema: str }];
const invalid = { '400': { description: 'Invalid input: `message` and `issues` list every problem', content: { 'application/json': { schema: obj({ message: str, issues: { type: 'array', items: str } }, ['message']) } } } };
const tags = ['alerts'];

const paths = {
	'/api/v1/alerts': {
		get: { operationId: 'listAlerts', summary: 'Every alert (flow × rule): settings, latest event, acknowledgement and silence', tags, responses: { '200': { description: 'Alerts, firing first', content: { 'application/json': { schema: obj({ items: { type: 'array', items: { $ref: '#/components/schemas/AlertView' } } }) } } }, ...authErrors } }
	},
	'/api/v1/alerts/history': {
		get: {
			operationId: 'alertHistory', summary: 'Alert events, channel deliveries and who acknowledged, silenced or edited what', tags,
			parameters: [{ name: 'flow', in: 'query', required: false, schema: str }, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } }],
			responses: {
				'200': { description: 'Newest first', content: { 'application/json': { schema: obj({ events: { type: 'array', items: { $ref: '#/components/schemas/AlertEvent' } }, deliveries: { type: 'array', items: { $ref: '#/components/schemas/AlertDelivery' } }, activity: { type: 'array', items: { $ref: '#/components/schemas/AlertActivity' } } }) } } },
				...authErrors
			}
		}
	},
	'/api/v1/alerts/rules/{flow}/{rule}': {
		put: {
			operationId: 'saveAlertRule', summary: "Set a rule's on/off, threshold (burn-rate, dlq-growth only) and channels (admin)", tags, parameters: ruleParams, requestBody: jsonBody('AlertRuleSettingInput'),
			responses: { '200': jsonResponse('The saved setting', 'AlertRuleSetting'), ...invalid, '404': errorResponse('No such flow or rule'), ...authErrors }
		}
	},
	'/api/v1/alerts/rules/{flow}/{rule}/acknowledge': {
		post: {
			operationId: 'acknowledgeAlert', summary: 'Acknowledge the firing alert: its re-notifications stop until it resolves (operator, approver, admin)', tags, parameters: ruleParams,
			requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertAckInput' } } } },
			responses: { '201': jsonResponse('The acknowledgement', 'AlertAction'), ...invalid, '404': errorResponse('No such flow or rule'), '409': errorResponse('The alert is not firing'), ...authErrors }
		}
	},
	'/api/v1/alerts/rules/{flow}/{rule}/silence': {
		post: {
			operationId: 'silenceAlert', summary: 'Silence the alert for a number of minutes: no notification until then (operator, approver, admin)', tags, parameters: ruleParams, requestBody: jsonBody('AlertSilenceInput'),
			responses: { '201': jsonResponse('The silence', 'AlertAction'), ...invalid, '404': errorResponse('No such flow or rule'), ...authErrors }
		},
		delete: {
			operationId: 'unsilenceAlert', summary: "End the alert's silence now", tags, parameters: ruleParams,
			responses: { '200': jsonResponse('The action that ended it', 'AlertAction'), '404': errorResponse('No such flow or rule'), '409': errorResponse('The alert is not silenced'), ...authErrors }
		}
	},
	'/api/v1/alerts/channels': {
		get: { operationId: 'listAlertChannels', summary: 'Notification channels (admin; URL hints only)', tags, responses: { '200': { description: 'Channels', content: { 'application/json': { schema: obj({ items: { type: 'array', items: { $ref: '#/components/schemas/AlertChannel' } } }) } } }, ...authErrors } },
		post: {
			operationId: 'createAlertChannel', summary: 'Add a Slack-compatible, Microsoft Teams (workflow, Adaptive Card) or signed generic webhook channel (admin; SSRF-checked)', tags, requestBody: jsonBody('AlertChannelInput'),
			responses: { '201': { description: 'The channel; `secret` (webhook kind) is shown only in this answer', content: { 'application/json': { schema: obj({ channel: { $ref: '#/components/schemas/AlertChannel' }, secret: str }, ['channel']) } } }, ...invalid, ...authErrors }
		}
	},
	'/api/v1/alerts/channels/{id}': {
		patch: { operationId: 'updateAlertChannel', summary: 'Rename, re-target, re-scope, enable or disable a channel (admin)', tags, parameters: idParam, requestBody: jsonBody('AlertChannelPatch'), responses: { '200': jsonResponse('The channel', 'AlertChannel'), ...invalid, '404': errorResponse('No such channel'), ...authErrors } },
		delete: { operationId: 'deleteAlertChannel', summary: 'Delete a channel (admin)', tags, parameters: idParam, responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such channel'), ...authErrors } }
	},
	'/api/v1/alerts/channels/{id}/test': {
		post: { operationId: 'testAlertChannel', summary: 'Send a test notice to a channel now (admin)', tags, parameters: idParam, responses: { '200': jsonResponse('Its delivery', 'AlertDelivery'), '404': errorResponse('No such channel'), ...authErrors } }
	}
};

export const alerts: OpenApiFragment = { paths, schemas };
