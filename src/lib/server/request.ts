/** Edges of HTTP handlers: parse a JSON body with zod, and map domain errors to statuses. */
import { error, isHttpError, isRedirect } from '@sveltejs/kit';
import type { z } from 'zod';
import { AuthError } from './auth/errors';

/** The request body, validated; 400 with the problems listed when it does not fit. */
export async function parseJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
	let body: unknown;
	try {
		body = await request.json();
	} catch {
		error(400, 'Body must be JSON');
	}
	const r = schema.safeParse(body);
	if (!r.success) error(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
	return r.data;
}

/** Rethrow a domain error as its HTTP status (the message is safe to show); anything else as is. */
export function rethrowHttp(e: unknown): never {
	if (isHttpError(e) || isRedirect(e)) throw e;
	if (e instanceof AuthError) error(e.status, e.message);
	throw e;
}

/** A safe place to go after sign-in: a path on this site, never another origin. */
export function safeRedirect(target: string | null | undefined, fallback: string): string {
	if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return fallback;
	return target;
}
