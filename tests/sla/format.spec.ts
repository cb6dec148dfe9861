import { describe, expect, it } from 'vitest';
import { addByCurrency, delta, moneyByCurrency, sameCurrency } from '../../src/lib/sla/format';

describe('change against the previous period', () => {
	it('percentage points for ratios, percentages for volumes', () => {
		expect(delta(0.9725, 1, 'ratio')).toEqual({ text: '−2.75 pts', dir: 'down' });
		expect(delta(120, 100, 'relative')).toEqual({ text: '+20%', dir: 'up' });
		expect(delta(50, 100, 'relative')).toEqual({ text: '−50%', dir: 'down' });
	});
	it('a factor, not a huge percentage, against an almost empty period; nothing against an empty one', () => {
		expect(delta(1671, 1, 'relative')).toEqual({ text: '1,671× previous', dir: 'up' });
		expect(delta(5, 0, 'relative')).toBeNull();
		expect(delta(null, 3, 'relative')).toBeNull();
	});
});

describe('money at risk per currency', () => {
	it('never adds amounts of different currencies; largest first; bare when no currency is named', () => {
		// in the currency's minor units, code first (the one money format of every page)
		expect(moneyByCurrency({ USD: 1200, CAD: 900 })).toBe('USD 1,200.00 + CAD 900.00');
		expect(moneyByCurrency({ EUR: 18450 })).toBe('EUR 18,450.00');
		expect(moneyByCurrency({ '': 50, EUR: 10 })).toBe('50 + EUR 10.00');
		// no money at all shows no money figure (not "0")
		expect(moneyByCurrency({})).toBe('');
		expect(addByCurrency([{ USD: 1, CAD: 2 }, { USD: 3 }, undefined])).toEqual({ USD: 4, CAD: 2 });
	});
	it('compares periods only within one currency', () => {
		expect(sameCurrency({ EUR: 5 }, { EUR: 9 })).toBe(true);
		expect(sameCurrency({ EUR: 5 }, {})).toBe(true);
		expect(sameCurrency({ EUR: 5 }, { USD: 9 })).toBe(false);
	});
});
