/** The one place exception-domain errors become HTTP answers: reason for people, detail for the log. */
import { json } from '@sveltejs/kit';
import { ZodError } from 'zod';
import { logger } from '../log';
import { ActionError } from './errors';
import { SsrfError } from '../webhooks/ssrf';
import { RunbookError } from '../runbooks/loader';

export interface Problem {
	status: number;
	message: string;
	issues?: string[];
}

/** Map a domain error to a status and message; anything unexpected is logged and becomes 500. */
export function problemOf(e: unknown): Problem {
	if (e instanceof ActionError) return { status: e.status, message: e.reason };
	if (e instanceof SsrfError) return { status: 400, message: `target refused: ${e.message}` };
	if (e instanceof RunbookError) return { status: 400, message: e.message, issues: e.issues };
	if (e instanceof ZodError) {
		const issues = e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
		return { status: 400, message: issues.join('; '), issues };
	}
	logger('exceptions').error('unexpected error', { err: e });
	return { status: 500, message: 'something went wrong; the server log has the detail' };
}

export function problemResponse(e: unknown): Response {
	const p = problemOf(e);
	// `message` like the console's other errors, `error` as the exceptions API documented it first
	return json({ message: p.message, error: p.message, ...(p.issues ? { issues: p.issues } : {}) }, { status: p.status });
}

/** Parse a JSON body, answering 400 (not 500) when it is not JSON. */
export async function jsonBody(request: Request): Promise<unknown> {
	try {
		return await request.json();
	} catch {
		throw new ActionError(400, 'the body must be JSON');
	}
}
