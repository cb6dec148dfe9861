/** Auth domain errors; routes map them to HTTP statuses through httpStatus(). */
export class AuthError extends Error {
	constructor(
		message: string,
		readonly status: 400 | 404 | 409 | 429
	) {
		super(message);
		this.name = 'AuthError';
	}
}

export const userExists = (email: string) => new AuthError(`a user with email ${email} already exists`, 409);
export const notFound = (what: string) => new AuthError(`${what} not found`, 404);
export const invalid = (message: string) => new AuthError(message, 400);
