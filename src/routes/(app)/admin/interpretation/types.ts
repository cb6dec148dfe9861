/** What the workbench's components share: the preview's shapes as the page receives them (from the action's return type, not server modules), and the re-interpret status's load dependency. */
import type { ActionData } from './$types';

export type PreviewAnswer = NonNullable<NonNullable<ActionData>['result']>;
export type Preview = Extract<PreviewAnswer, { ok: true }>;
export type Sample = NonNullable<NonNullable<ActionData>['sample']>;
export type Row = Preview['rows'][number];

/** `invalidate(REINTERPRET_STATUS)` reloads the newest re-interpret job alone (+layout.server.ts). */
export const REINTERPRET_STATUS = 'syncscope:reinterpret-status';
