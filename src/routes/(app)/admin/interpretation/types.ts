/** The preview's shapes as the page receives them (from the action's return type, not server modules). */
import type { ActionData } from './$types';

export type PreviewAnswer = NonNullable<NonNullable<ActionData>['result']>;
export type Preview = Extract<PreviewAnswer, { ok: true }>;
export type Sample = NonNullable<NonNullable<ActionData>['sample']>;
export type Row = Preview['rows'][number];
