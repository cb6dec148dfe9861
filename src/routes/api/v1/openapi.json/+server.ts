import { json } from '@sveltejs/kit';
import { openApiDocument } from '$lib/server/openapi';
import type { RequestHandler } from './$types';

/** The API description is public: it names operations, never data. */
export const GET: RequestHandler = async () => json(openApiDocument());
