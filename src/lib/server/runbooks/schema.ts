/**
 * A runbook: what to do about a kind of exception. Matches by flow / step / error class / code
 * (every given field must equal; the runbook naming the most fields wins) and says who owns it,
 * which actions are allowed, how to auto-retry and when a replay needs a second person.
 */
import { z } from 'zod';
import { duration } from '../flows/schema';
import { ACTIONS } from '../exceptions/state';

const slug = z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,79}$/, 'lower-case letters, digits and . _ : -');

export const runbookSchema = z
	.object({
		id: slug,
		title: z.string().min(1),
		match: z
			.object({
				flow: z.string().min(1).optional(),
				step: z.string().min(1).optional(),
				errorClass: z.string().min(1).optional(),
				errorCode: z.string().min(1).optional()
			})
			.strict()
			.default({}),
		owner: z.object({ team: z.string().min(1), escalation: z.array(z.string().min(1)).default([]) }).strict(),
		/** markdown; rendered with raw HTML escaped */
		instructions: z.string().min(1),
		allowedActions: z.array(z.enum(ACTIONS)).min(1),
		autoRetry: z
			.object({ attempts: z.number().int().min(0).max(20), backoff: duration })
			.strict()
			.default({ attempts: 0, backoff: 60_000 }),
		replay: z
			.object({
				/** always: every replay needs an approver; never: none does; amount: above amountAbove */
				approval: z.enum(['always', 'never', 'amount']).default('always'),
				amountAbove: z.number().nonnegative().optional()
			})
			.strict()
			.default({ approval: 'always' })
	})
	.strict()
	.superRefine((r, ctx) => {
		if (r.replay.approval === 'amount' && r.replay.amountAbove === undefined) {
			ctx.addIssue({ code: 'custom', path: ['replay', 'amountAbove'], message: "required when approval is 'amount'" });
		}
		if (r.allowedActions.includes('approve_replay') !== r.allowedActions.includes('request_replay')) {
			ctx.addIssue({ code: 'custom', path: ['allowedActions'], message: 'request_replay and approve_replay go together' });
		}
	});

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookInput = z.input<typeof runbookSchema>;
