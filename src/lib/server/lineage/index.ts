/** Lineage: everything that happened to one business object, across systems and traces. */
import { findFlow } from '../flows/catalogue';
import { findLineage } from './queries';
import { lineageView } from './view';
import type { LineageView } from './schema';

export { findLineage } from './queries';
export { lineageKey, toApi, type LineageView, type LineageSpan, type LineageLog } from './schema';

/** The lineage of a key with its hops, expected paths and cross-trace links. */
export async function loadLineage(key: string, now = Date.now()): Promise<LineageView> {
	return lineageView(await findLineage(key), findFlow, now);
}
