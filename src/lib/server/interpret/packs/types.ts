/** A pack: rules (in the rule file's own format) for one middleware's published conventions. */
import type { RuleInput } from '../schema';

export interface Pack {
	name: string;
	title: string;
	/** what the pack maps, shown in the workbench and docs/interpretation.md */
	description: string;
	rules: RuleInput[];
}
