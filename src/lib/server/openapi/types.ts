/** An OpenAPI 3.1 fragment a domain contributes: its paths and the schemas they refer to. */
export interface OpenApiFragment {
	paths: Record<string, Record<string, unknown>>;
	schemas?: Record<string, unknown>;
}

export const errorResponse = (description: string) => ({
	description,
	content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
});

/** 401 and 403, which every authorised operation can answer */
export const authErrors = {
	'401': errorResponse('Not signed in, or the API token is invalid or revoked'),
	'403': errorResponse("The role may not do this, or a cross-site request was refused")
};

export const jsonBody = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
export const jsonResponse = (description: string, ref: string) => ({
	description,
	content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }
});
