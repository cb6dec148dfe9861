import { describe, expect, it } from 'vitest';
import { delta } from '../../src/lib/sla/format';

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
