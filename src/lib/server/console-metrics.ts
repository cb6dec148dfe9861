/**
 * The console's Prometheus metrics. The action-delivery code (actions/delivery.ts) increments
 * `actionDeliveries` once per recorded attempt, labelled with the action (`retry`, `replay`) and the
 * attempt's outcome (`delivered`, `failed`, `disabled` on 410, `gave_up` after the last retry of a
 * retryable failure).
 */
import { counter, gauge, histogram } from './metrics';

export const consoleRequestDuration = histogram(
	'syncscope_console_request_duration_seconds',
	'Console HTTP request latency by SvelteKit route',
	['method', 'route', 'status']
);

export const consoleInFlight = gauge('syncscope_console_requests_in_flight', 'Console requests being served');

export const actionDeliveries = counter(
	'syncscope_action_deliveries_total',
	'Action webhook delivery attempts to the middleware',
	['action', 'outcome']
);

export const actionDeliveryDuration = histogram(
	'syncscope_action_delivery_duration_seconds',
	'Time for one action webhook delivery attempt',
	['action']
);
