/**
 * When a figure may be compared with the previous period of the same length. Against an almost
 * empty previous period every change is huge and means nothing ("497× previous"), so the pages,
 * the overview and the API show a change only when both periods hold at least
 * MIN_COMPARABLE_TRANSACTIONS transactions; otherwise they say there is too little to compare.
 */
export const MIN_COMPARABLE_TRANSACTIONS = 20;

export interface Comparison {
	/** true when changes vs the previous period may be shown */
	comparable: boolean;
	/** why not, for a hint beside the figure ('' when comparable) */
	reason: string;
}

/** The one rule for "compared with the previous period", from both periods' transaction counts. */
export function comparison(currentTotal: number, previousTotal: number): Comparison {
	if (previousTotal < MIN_COMPARABLE_TRANSACTIONS)
		return { comparable: false, reason: previousTotal === 0 ? 'no transactions in the previous period' : `only ${previousTotal} transactions in the previous period` };
	if (currentTotal < MIN_COMPARABLE_TRANSACTIONS) return { comparable: false, reason: `only ${currentTotal} transactions in this period` };
	return { comparable: true, reason: '' };
}
