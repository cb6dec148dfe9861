/**
 * The packs by name. A rule set applies the product packs first (node-red, camel, mulesoft, n8n:
 * each fires only on its own product's spans) and semconv last (engine.ts).
 */
import type { PackName } from '../schema';
import { camel } from './camel';
import { mulesoft } from './mulesoft';
import { n8n } from './n8n';
import { nodeRed } from './node-red';
import { semconv } from './semconv';
import type { Pack } from './types';

export const PACKS_BY_NAME: Record<PackName, Pack> = {
	semconv,
	'node-red': nodeRed,
	camel,
	mulesoft,
	n8n
};

export { camel, mulesoft, n8n, nodeRed, semconv };
export type { Pack };
