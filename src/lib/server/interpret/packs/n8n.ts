/**
 * n8n (2.19+, self-hosted, `N8N_OTEL_ENABLED=true`): one `workflow.execute` span per execution and
 * one `node.execute` span per node run, nested inside it, from the tracer `n8n-workflow`.
 * - workflow span: `n8n.workflow.id`, `n8n.workflow.name`, `n8n.workflow.version_id`,
 *   `n8n.workflow.node_count`, `n8n.execution.id`, `n8n.execution.mode`, `n8n.execution.status`,
 *   `n8n.execution.is_retry`, `n8n.execution.retry_of`, `n8n.execution.error_type` (on failure),
 *   `n8n.project.id`, custom `n8n.workflow.custom.*` / `n8n.project.custom.*`; a span link
 *   (`n8n.continuation.reason` = resume) to the execution a resumed one continues; its parent is the
 *   caller's span when a webhook request carried `traceparent`.
 * - node span: `n8n.node.id`, `n8n.node.name`, `n8n.node.type` (`n8n-nodes-base.httpRequest`),
 *   `n8n.node.type_version`, `n8n.node.items.input` / `.output`, `n8n.node.termination_reason`,
 *   custom `n8n.node.custom.*` (a node's `metadata.tracing`).
 * - a failed node: status ERROR and an `exception` event (exception.type = the error class, e.g.
 *   `NodeApiError`; exception.message); the workflow span then has status ERROR, the same exception
 *   and `n8n.execution.error_type`. The HTTP status is not on the span: NodeApiError replaces the
 *   message by a fixed text per status (STATUS_CODE_MESSAGES), which names 400, 401, 402, 403, 404,
 *   405, 429, 500, 502, 503 and 504, and only the class (4xx / 5xx) of the others.
 *
 * Sources:
 * - https://docs.n8n.io/hosting/logging-monitoring/opentelemetry/ (n8n-io/n8n-docs
 *   docs/hosting/logging-monitoring/opentelemetry.md: span attributes tables)
 * - n8n-io/n8n packages/cli/src/modules/otel/otel.constants.ts (attribute keys),
 *   execution-level-tracer.ts (tracer `n8n-workflow`, span names, status, recordException)
 * - n8n-io/n8n packages/workflow/src/errors/node-api.error.ts (STATUS_CODE_MESSAGES)
 *
 * `n8n.execution.id` is not a correlation ID: n8n assigns it to one run, a retry gets a new one, and
 * no system before or after n8n knows it. The business key (an order number in the webhook body)
 * is not on any span either; a `keys:` rule reads it where it is visible (the caller's captured
 * header, or a `n8n.node.custom.*` attribute a custom node sets).
 */
import type { Pack } from './types';

const WORKFLOW = { 'n8n.workflow.id': '*' };
const NODE = { 'n8n.node.type': '*' };

/** NodeApiError's message for a status (n8n-workflow STATUS_CODE_MESSAGES) → the status it stands for. */
const NODE_API_MESSAGES: Record<string, string> = {
	'Your request is invalid or could not be processed by the service': '4xx',
	'Bad request - please check your parameters': '400',
	'Authorization failed - please check your credentials': '401',
	'Payment required - perhaps check your payment details?': '402',
	'Forbidden - perhaps check your credentials?': '403',
	'The resource you are requesting could not be found': '404',
	'Method not allowed - please check you are using the right HTTP method': '405',
	'The service is receiving too many requests from you': '429',
	'The service failed to process your request': '5xx',
	'The service was not able to process your request': '500',
	'Bad gateway - the service failed to handle your request': '502',
	'Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)': '503',
	'Gateway timed out - perhaps try again later?': '504'
};

const CLASS_BY_STATUS: Record<string, string> = {
	'400': 'validation',
	'401': 'auth',
	'402': 'business',
	'403': 'auth',
	'404': 'business',
	'405': 'business',
	'429': 'transport',
	'5xx': 'transport',
	'500': 'transport',
	'502': 'transport',
	'503': 'transport',
	'504': 'transport'
};

const HTTP_CODE_BY_MESSAGE = Object.fromEntries(Object.entries(NODE_API_MESSAGES).map(([m, s]) => [m, `HTTP ${s}`]));
const CLASS_BY_MESSAGE = Object.fromEntries(
	Object.entries(NODE_API_MESSAGES)
		.filter(([, s]) => CLASS_BY_STATUS[s])
		.map(([m, s]) => [m, CLASS_BY_STATUS[s]])
);

export const n8n: Pack = {
	name: 'n8n',
	title: 'n8n (workflow and node execution spans)',
	description:
		'Flow from the workflow name of workflow.execute, step from the node name of node.execute; the HTTP status a NodeApiError message stands for (HTTP 503, HTTP 4xx) and its error class; the execution error type of a failed workflow. The execution ID is not a business correlation ID: add a keys: rule for the order number.',
	rules: [
		{
			id: 'n8n.flow',
			when: { name: 'workflow.execute', attr: WORKFLOW },
			set: { flow: { from: 'attr:n8n.workflow.name' } }
		},
		{
			id: 'n8n.step',
			description: 'node names are unique within a workflow and chosen by its author',
			when: { name: 'node.execute', attr: NODE },
			set: { step: { from: 'attr:n8n.node.name' } }
		},
		{
			id: 'n8n.node-api-error',
			description: 'NodeApiError (HTTP Request node and the API nodes) names the response status by a fixed message',
			when: { name: 'node.execute', attr: NODE },
			set: {
				'error.code': { from: 'event:exception:exception.message', map: HTTP_CODE_BY_MESSAGE, only: true },
				'error.class': { from: 'event:exception:exception.message', map: CLASS_BY_MESSAGE, only: true }
			}
		},
		{
			id: 'n8n.execution-error',
			when: { name: 'workflow.execute', attr: { ...WORKFLOW, 'n8n.execution.error_type': '*' } },
			set: { 'error.code': { from: 'attr:n8n.execution.error_type' } }
		}
	]
};
