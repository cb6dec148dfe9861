import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/lib/server/openapi';
import { flowKpisSchema } from '../../src/lib/server/sla/schemas';

describe('OpenAPI: flows fragment', () => {
	const doc = openApiDocument();
	it('publishes GET /api/v1/flows and /api/v1/flows/{flow}/kpis with their schemas', () => {
		expect(doc.paths['/api/v1/flows']).toHaveProperty('get');
		const kpis = doc.paths['/api/v1/flows/{flow}/kpis'] as { get: { parameters: { name: string }[]; responses: Record<string, unknown> } };
		expect(kpis.get.parameters.map((p) => p.name)).toEqual(['flow', 'from', 'to']);
		expect(Object.keys(kpis.get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
		const schema = doc.components.schemas.FlowKpis as { required: string[] };
		expect([...schema.required].sort()).toEqual(
			['deadLetters', 'duplicates', 'e2eMs', 'eventDelayMs', 'failed', 'flow', 'milestones', 'replays', 'succeeded', 'successRate', 'total', 'valueAtRisk', 'valueAtRiskByCurrency'].sort()
		);
	});
	it('the schema accepts what the API returns and refuses a wrong shape', () => {
		const ok = { flow: 'f', total: 2, succeeded: 1, failed: 1, duplicates: 0, deadLetters: 0, replays: 0, successRate: 0.5, e2eMs: { p50: 1, p95: 2, p99: null }, milestones: { ack: { n: 1, pending: 0, p50: 5, p95: 5 } }, eventDelayMs: { p50: null, p95: null }, valueAtRisk: 10, valueAtRiskByCurrency: { USD: 10 } };
		expect(flowKpisSchema.safeParse(ok).success).toBe(true);
		expect(flowKpisSchema.safeParse({ ...ok, total: -1 }).success).toBe(false);
	});
});
