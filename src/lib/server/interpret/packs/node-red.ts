/**
 * Node-RED with the node-red-contrib-opentelemetry plugin (nioc, 2.x; tracer named after the npm
 * package). One trace per flow execution: a run span (named after the entry node, plus the path of
 * an `http in` node; `node_red.msg.new` = true, `node_red.trigger.type`) and a span per node a
 * message reaches (named after the node's name, else its type; `node_red.msg.new` = false). Every
 * span carries `node_red.run.id`, `node_red.msg.id` (msg._msgid), `node_red.flow.id` (the tab),
 * `node_red.flow.name` (the tab's label), `node_red.node.id`, `node_red.node.type`,
 * `node_red.node.name`; kinds follow the node type (`http in` SERVER, `http request` CLIENT, `mqtt in`
 * CONSUMER, `mqtt out` PRODUCER, others INTERNAL). An `http request` node adds
 * `http.response.status_code`, `url.path`, `server.address`, `server.port`, and on a status from 400
 * up status ERROR with an `exception` event (`HTTPError`); a network failure records the error code
 * (`ECONNREFUSED`) as exception.type. Custom attributes from message data (JMESPath mappings in the
 * OTEL node) are how a business key gets onto the spans.
 *
 * Without the plugin, Node.js auto-instrumentation (@opentelemetry/auto-instrumentations-node) gives
 * only HTTP/Express spans: nothing Node-RED-specific, so this pack stays silent and the semconv pack
 * plus your rules (route → flow and step, captured header → correlation ID) do the work.
 *
 * Sources: nioc/node-red-contrib-opentelemetry lib/opentelemetry-node.js (ATTR_* constants,
 * getSpanKind, createSpan, endSpan) and README.md; https://www.npmjs.com/package/node-red-contrib-opentelemetry
 */
import type { Pack } from './types';

const NODE_RED = { 'node_red.node.type': '*' };

export const nodeRed: Pack = {
	name: 'node-red',
	title: 'Node-RED (node-red-contrib-opentelemetry)',
	description:
		'Flow from the tab label (node_red.flow.name, else the tab id), step from the node name (else its type) of each node span, message ID from msg._msgid, target from server.address of an http request node. Failures come from the HTTP status and exception events the plugin records.',
	rules: [
		{
			id: 'node-red.flow',
			when: { attr: NODE_RED },
			set: { flow: { from: 'attr:node_red.flow.name' } }
		},
		{
			id: 'node-red.flow-id',
			description: 'plugin versions before node_red.flow.name: the tab id',
			when: { attr: NODE_RED },
			set: { flow: { from: 'attr:node_red.flow.id' } }
		},
		{
			id: 'node-red.step',
			description: 'node spans only: the run span stands for the whole flow execution',
			when: { attr: { ...NODE_RED, 'node_red.msg.new': 'false' } },
			set: { step: { from: 'attr:node_red.node.name' } }
		},
		{
			id: 'node-red.step-type',
			when: { attr: { ...NODE_RED, 'node_red.msg.new': 'false' } },
			set: { step: { from: 'attr:node_red.node.type' } }
		},
		{
			id: 'node-red.message-id',
			when: { attr: NODE_RED },
			set: { message_id: { from: 'attr:node_red.msg.id' } }
		},
		{
			id: 'node-red.target',
			description: 'the host an http request node called (peer.service, when set, names the system instead)',
			when: { attr: { ...NODE_RED, 'node_red.node.type': 'http request', 'peer.service': '/^$/' } },
			set: { target: { from: 'attr:server.address' } }
		}
	]
};
