/**
 * What the demo remembers between runs, in `<data dir>/demo-state.json` (mode 0600): the demo
 * users' generated passwords and the action endpoint's secret. Generated per data dir rather than
 * fixed, so a demo left running on a reachable host does not open with well-known passwords.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { DemoUser } from './provision';
import { generateSecret } from './webhook-signature';

const stateSchema = z.object({
	users: z.array(z.object({ role: z.enum(['viewer', 'operator', 'approver', 'admin']), email: z.string(), password: z.string(), persona: z.string() })),
	actionEndpoint: z.object({ url: z.string().optional(), secret: z.string(), id: z.string().optional() })
});
export type DemoState = z.infer<typeof stateSchema>;

export const DEMO_DOMAIN = 'demo.example.com';

function password(): string {
	// 18 base64url characters; readable enough to type from the terminal
	return randomBytes(14).toString('base64url').slice(0, 18);
}

export function freshState(): DemoState {
	return {
		users: [
			{ role: 'viewer', email: `exec@${DEMO_DOMAIN}`, password: password(), persona: 'executive: dashboards and SLAs, read-only' },
			{ role: 'operator', email: `ops@${DEMO_DOMAIN}`, password: password(), persona: 'support: triage exceptions, retry, request replays' },
			{ role: 'approver', email: `lead@${DEMO_DOMAIN}`, password: password(), persona: 'support lead: approves sensitive replays' },
			{ role: 'admin', email: `admin@${DEMO_DOMAIN}`, password: password(), persona: 'administrator: users, flows, runbooks, endpoints' }
		],
		actionEndpoint: { secret: generateSecret() }
	};
}

export function statePath(dataDir: string): string {
	return join(dataDir, 'demo-state.json');
}

/** Read the state of this data dir, or create (and save) a fresh one. */
export function loadState(dataDir: string): DemoState {
	const file = statePath(dataDir);
	if (existsSync(file)) {
		const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
		if (parsed.success) return parsed.data;
		console.warn(`${file} is not a demo state file; starting over with new demo credentials`);
	}
	const state = freshState();
	saveState(dataDir, state);
	return state;
}

export function saveState(dataDir: string, state: DemoState): void {
	mkdirSync(dataDir, { recursive: true });
	writeFileSync(statePath(dataDir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}
