/** Reconciliation rules in the flow catalogue: strict validation that lists every problem with its path. */
import { describe, expect, it } from 'vitest';
import { CatalogueError, parseCatalogue } from '../../src/lib/server/flows/catalogue';

const flow = (rules: string) => `
flows:
  - id: o2c
    name: Order to cash
    businessOwner: a
    technicalOwner: b
    steps:
      - { id: crm.submit, name: CRM, system: crm }
      - { id: erp.create, name: ERP, system: erp }
      - { id: wms.allocate, name: WMS, system: wms }
    reconciliation:
${rules}`;

describe('reconciliation rules', () => {
	it('fills the defaults', () => {
		const c = parseCatalogue(flow(`      - { id: r, name: R, source: { step: crm.submit, system: crm }, targets: [{ step: erp.create, system: erp, grace: 15m }] }`));
		expect(c.flows[0].reconciliation[0]).toEqual({
			id: 'r',
			name: 'R',
			key: 'correlation_id',
			source: { step: 'crm.submit', system: 'crm', outcome: ['success'] },
			targets: [{ step: 'erp.create', system: 'erp', grace: 900_000, outcome: ['success'], required: true }],
			compare: [],
			tolerance: 0,
			alerts: true
		});
	});

	it('lists every problem with its path', () => {
		const bad = flow(`      - id: r
        name: R
        key: order_no
        source: { step: crm.nope, system: crm, outcome: delivered }
        targets:
          - { step: erp.create, system: erp, grace: 2 hours }
          - { step: wms.gone, system: erp, grace: 8d }
        compare: [amount, colour]
        extra: 1
      - { id: r, name: R2, source: { step: crm.submit, system: crm }, targets: [{ step: erp.create, system: erp, grace: 1m }] }`);
		let message = '';
		try {
			parseCatalogue(bad);
		} catch (e) {
			expect(e).toBeInstanceOf(CatalogueError);
			message = (e as Error).message;
		}
		for (const path of [
			'flows.0.reconciliation.0.key',
			'flows.0.reconciliation.0.source.outcome',
			'flows.0.reconciliation.0.targets.0.grace',
			'flows.0.reconciliation.0.targets.1.grace',
			'flows.0.reconciliation.0.compare.1',
			'flows.0.reconciliation.0: Unrecognized key: "extra"'
		]) {
			expect(message).toContain(path);
		}
	});

	it('refuses steps outside the flow, a system named twice and a duplicate rule id', () => {
		const bad = flow(`      - id: r
        name: R
        source: { step: crm.nope, system: crm }
        targets:
          - { step: erp.create, system: erp, grace: 1m }
          - { step: wms.gone, system: erp, grace: 1m }
      - { id: r, name: R2, source: { step: crm.submit, system: crm }, targets: [{ step: erp.create, system: erp, grace: 1m }] }`);
		expect(() => parseCatalogue(bad)).toThrow(/flows\.0\.reconciliation\.0\.source\.step: step crm\.nope is not a step of flow o2c/);
		try {
			parseCatalogue(bad);
		} catch (e) {
			const m = (e as Error).message;
			expect(m).toContain('flows.0.reconciliation.0.targets.1.step: step wms.gone is not a step of flow o2c');
			expect(m).toContain('flows.0.reconciliation.0.targets.1.system: two targets name system erp');
			expect(m).toContain('flows.0.reconciliation.1.id: duplicate reconciliation rule id r');
		}
	});
});
