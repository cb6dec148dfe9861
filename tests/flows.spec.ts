import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CatalogueError, parseCatalogue } from '../src/lib/server/flows/catalogue';

describe('flow catalogue', () => {
	it('loads the shipped config/flows.yaml', () => {
		const c = parseCatalogue(readFileSync('config/flows.yaml', 'utf8'));
		expect(c.flows.map((f) => f.id)).toContain('order-to-cash');
		const o2c = c.flows.find((f) => f.id === 'order-to-cash')!;
		expect(o2c.steps.find((s) => s.id === 'supplier.po-ack')?.within).toBe(4 * 3_600_000);
	});
	it('says what is wrong and where', () => {
		const bad = `flows:\n  - id: x\n    name: X\n    businessOwner: a\n    technicalOwner: b\n    steps: [{ id: a, name: A, system: s }]\n    objectives:\n      milestones: [{ name: m, from: a, to: nope, target: 5 minutes }]\n`;
		expect(() => parseCatalogue(bad, 'test.yaml')).toThrow(CatalogueError);
		try {
			parseCatalogue(bad, 'test.yaml');
		} catch (e) {
			expect((e as Error).message).toContain('flows.0.objectives.milestones.0.target');
			expect((e as Error).message).toContain('test.yaml');
		}
	});
});
