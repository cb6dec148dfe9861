/**
 * OpenTelemetry semantic conventions (on by default, applied after every other pack): business keys
 * and systems from the messaging, HTTP and RPC conventions. Failures (HTTP/gRPC status codes, span
 * status, exception events) are derived in code (failures.ts) because they compare numbers.
 * https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
 * https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 */
import type { Pack } from './types';

export const semconv: Pack = {
	name: 'semconv',
	title: 'OpenTelemetry semantic conventions',
	description:
		'Correlation ID from messaging.message.conversation_id or baggage, message ID from messaging.message.id, target system from peer.service or the messaging destination; failures from HTTP and gRPC status codes, span status and exception events.',
	rules: [
		{
			id: 'semconv.correlation',
			set: {
				correlation_id: { from: 'attr:messaging.message.conversation_id' }
			}
		},
		{ id: 'semconv.correlation-baggage', set: { correlation_id: { from: 'baggage:correlation_id' } } },
		{ id: 'semconv.correlation-attribute', set: { correlation_id: { from: 'attr:correlation_id' } } },
		{ id: 'semconv.message-id', set: { message_id: { from: 'attr:messaging.message.id' } } },
		{
			id: 'semconv.client-target',
			when: { kind: ['client', 'producer'] },
			set: { target: { from: 'attr:peer.service' } }
		},
		{
			id: 'semconv.producer-target',
			when: { kind: 'producer' },
			set: { target: { from: 'attr:messaging.destination.name' } }
		},
		{
			id: 'semconv.consumer-source',
			when: { kind: 'consumer' },
			set: { source: { from: 'attr:messaging.destination.name' } }
		}
	]
};
