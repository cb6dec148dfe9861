/**
 * n8n order intake, as n8n 2.19+ emits it with N8N_OTEL_ENABLED=true (packages/cli/src/modules/otel:
 * execution-level-tracer.ts, otel.constants.ts, otel.service.ts; docs: hosting/logging-monitoring/
 * opentelemetry). The workflow "Order intake":
 *
 *   Webhook (POST /webhook/orders) → Validate order (IF) → Create sales order (HTTP Request, ERP)
 *     → Respond to Webhook (201)
 *
 * Per execution: a `workflow.execute` span (tracer `n8n-workflow`, kind INTERNAL) whose parent is the
 * caller's span (the webhook request carried `traceparent`), and a `node.execute` span per node run
 * under it. A failed HTTP Request node throws NodeApiError, whose message is n8n's fixed text for the
 * status (STATUS_CODE_MESSAGES in packages/workflow/src/errors/node-api.error.ts: 503 has its own,
 * 422 only the generic 4xx one); n8n records it on the node span (status ERROR + exception event)
 * and on the workflow span (plus n8n.execution.error_type), and the webhook answers 500.
 *
 * The order ID is in the webhook body, which no span carries. The caller — a Node.js web shop
 * instrumented with @opentelemetry/instrumentation-http and
 * `headersToSpanAttributes.client.requestHeaders: ['x-order-id']` — does: its CLIENT span has
 * `http.request.header.x_order_id` (instrumentation-http writes dashes as underscores, the value an
 * array). A `keys:` rule reads it, and the trace carries it to n8n's spans.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordingProvider, spread, T0 } from './to-items';

export type N8nErpAnswer = 201 | 422 | 503;

export interface N8nOrder {
	id: string;
	status: N8nErpAnswer;
	traceId: string;
}

export const N8N_WORKFLOW = 'Order intake';
export const N8N_FAILING_NODE = 'Create sales order';
export const N8N_ORDER_HEADER_ATTRIBUTE = 'http.request.header.x_order_id';

/** NodeApiError messages (STATUS_CODE_MESSAGES) for the statuses planned here. */
const NODE_API_MESSAGE: Record<number, string> = {
	422: 'Your request is invalid or could not be processed by the service',
	503: 'Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)'
};

const NODES = [
	{ id: '0b7f3c1e-2a4d-4e8f-9c61-5d2a7e9b1f01', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2 },
	{ id: '1c8a4d2f-3b5e-4f90-8d72-6e3b8f0c2a02', name: 'Validate order', type: 'n8n-nodes-base.if', typeVersion: 2.2 },
	{ id: '2d9b5e3a-4c6f-4a01-9e83-7f4c9a1d3b03', name: N8N_FAILING_NODE, type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2 },
	{ id: '3eac6f4b-5d7a-4b12-8f94-8a5dab2e4c04', name: 'Respond to Webhook', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1 }
];

class NodeApiError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'NodeApiError';
	}
}

/** 20 orders: 14 × 201, 3 × 422, 3 × 503. */
export const N8N_MIX: [N8nErpAnswer, number][] = [
	[201, 14],
	[422, 3],
	[503, 3]
];

export function emitN8n(mix: [N8nErpAnswer, number][] = N8N_MIX): { spans: ReadableSpan[]; orders: N8nOrder[] } {
	const shop = recordingProvider({ 'service.name': 'webshop', 'service.version': '4.2.0' });
	const shopTracer = shop.provider.getTracer('@opentelemetry/instrumentation-http', '0.208.0');
	const n8n = recordingProvider({
		'service.name': 'n8n',
		'service.version': '2.19.0',
		'n8n.instance.id': '8c2f1e0a9d7b4c3e5f6a1b2c3d4e5f60',
		'n8n.instance.role': 'main'
	});
	const tracer = n8n.provider.getTracer('n8n-workflow');
	const orders: N8nOrder[] = [];

	spread(mix).forEach((status, i) => {
		const id = `SO-${4001 + i}`;
		const t = T0 + i * 1000;
		const failed = status !== 201;

		// The caller's outgoing request (instrumentation-http, stable HTTP conventions).
		const call = shopTracer.startSpan(
			'POST',
			{
				kind: SpanKind.CLIENT,
				startTime: t,
				attributes: {
					'http.request.method': 'POST',
					'url.full': 'http://n8n:5678/webhook/orders',
					'server.address': 'n8n',
					'server.port': 5678,
					'network.peer.address': '10.0.4.12',
					[N8N_ORDER_HEADER_ATTRIBUTE]: [id]
				}
			},
			ROOT_CONTEXT
		);

		const workflow = tracer.startSpan(
			'workflow.execute',
			{
				startTime: t + 2,
				attributes: {
					'n8n.workflow.id': 'Wq3kT8pYcN2bR5vZ',
					'n8n.workflow.name': N8N_WORKFLOW,
					'n8n.workflow.version_id': '6f1d0c2e-7a3b-4c5d-8e9f-0a1b2c3d4e5f',
					'n8n.workflow.node_count': NODES.length,
					'n8n.execution.id': String(5200 + i),
					'n8n.project.id': 'Hn4dQ7sLmX0aV2eJ'
				}
			},
			trace.setSpan(ROOT_CONTEXT, call)
		);
		const inWorkflow = trace.setSpan(ROOT_CONTEXT, workflow);
		let at = t + 3;
		let error: NodeApiError | undefined;
		for (const node of NODES) {
			if (error) break;
			if (node.type === 'n8n-nodes-base.respondToWebhook' && failed) break;
			const span = tracer.startSpan(
				'node.execute',
				{
					startTime: at,
					attributes: {
						'n8n.node.id': node.id,
						'n8n.node.name': node.name,
						'n8n.node.type': node.type,
						'n8n.node.type_version': node.typeVersion
					}
				},
				inWorkflow
			);
			at += node.type === 'n8n-nodes-base.httpRequest' ? 70 : 2;
			const nodeFails = failed && node.type === 'n8n-nodes-base.httpRequest';
			span.setAttributes({ 'n8n.node.items.input': node.type === 'n8n-nodes-base.webhook' ? 0 : 1, 'n8n.node.items.output': nodeFails ? 0 : 1 });
			if (nodeFails) {
				error = new NodeApiError(NODE_API_MESSAGE[status]);
				span.setStatus({ code: SpanStatusCode.ERROR });
				span.recordException(error, at);
			} else span.setStatus({ code: SpanStatusCode.OK });
			span.end(at);
		}

		workflow.setAttributes({
			'n8n.execution.mode': 'webhook',
			'n8n.execution.status': failed ? 'error' : 'success',
			'n8n.execution.is_retry': false
		});
		if (error) {
			workflow.setStatus({ code: SpanStatusCode.ERROR });
			workflow.setAttribute('n8n.execution.error_type', error.name);
			workflow.recordException(error, at + 1);
		} else workflow.setStatus({ code: SpanStatusCode.OK });
		workflow.end(at + 1);

		call.setAttribute('http.response.status_code', failed ? 500 : 201);
		if (failed) call.setStatus({ code: SpanStatusCode.ERROR });
		call.end(at + 3);
		orders.push({ id, status, traceId: call.spanContext().traceId });
	});
	return { spans: [...shop.exporter.getFinishedSpans(), ...n8n.exporter.getFinishedSpans()], orders };
}
