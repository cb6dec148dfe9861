/** Domain refusals with the HTTP status a route should answer and a reason a person can act on. */
export class ActionError extends Error {
	constructor(
		readonly status: 400 | 403 | 404 | 409,
		readonly reason: string
	) {
		super(reason);
		this.name = 'ActionError';
	}
}
