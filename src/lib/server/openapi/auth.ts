/** OpenAPI: sign-in, users and API tokens. */
import { authErrors, errorResponse, jsonBody, jsonResponse, type OpenApiFragment } from './types';

const role = { type: 'string', enum: ['viewer', 'operator', 'approver', 'admin'] };

export const auth: OpenApiFragment = {
	paths: {
		'/api/v1/session': {
			post: {
				tags: ['auth'],
				summary: 'Sign in (sets the session cookie)',
				security: [],
				requestBody: jsonBody('SignIn'),
				responses: {
					'200': jsonResponse('Signed in; Set-Cookie carries the session', 'SignedIn'),
					'401': errorResponse('Email or password is not correct'),
					'429': { ...errorResponse('Too many failed attempts; see Retry-After'), headers: { 'Retry-After': { schema: { type: 'integer' } } } }
				}
			},
			delete: { tags: ['auth'], summary: 'Sign out (ends the session on the server)', responses: { '204': { description: 'Signed out' } } }
		},
		'/api/v1/users': {
			get: { tags: ['admin'], summary: 'List users', responses: { '200': jsonResponse('Users', 'UserList'), ...authErrors } },
			post: {
				tags: ['admin'],
				summary: 'Create a user',
				requestBody: jsonBody('NewUser'),
				responses: { '201': jsonResponse('Created', 'UserEnvelope'), '400': errorResponse('Invalid input'), '409': errorResponse('Email already in use'), ...authErrors }
			}
		},
		'/api/v1/users/{id}': {
			patch: {
				tags: ['admin'],
				summary: "Change a user's role, disable/enable or reset the password; ends the user's sessions",
				parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
				requestBody: jsonBody('UserChange'),
				responses: {
					'200': jsonResponse('Changed', 'UserEnvelope'),
					'400': errorResponse('Invalid input'),
					'404': errorResponse('No such user'),
					'409': errorResponse('The change would leave no enabled admin'),
					...authErrors
				}
			},
			delete: {
				tags: ['admin'],
				summary: "Delete a user: sessions end, the user's API tokens stop working",
				parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
				responses: {
					'204': { description: 'Deleted' },
					'400': errorResponse('You cannot delete yourself'),
					'404': errorResponse('No such user'),
					'409': errorResponse('The last enabled admin cannot be deleted'),
					...authErrors
				}
			}
		},
		'/api/v1/tokens': {
			get: { tags: ['admin'], summary: 'List API tokens (never their secrets)', responses: { '200': jsonResponse('Tokens', 'TokenList'), ...authErrors } },
			post: {
				tags: ['admin'],
				summary: 'Create an API token; the token is shown in this response only',
				requestBody: jsonBody('NewToken'),
				responses: { '201': jsonResponse('Created', 'CreatedToken'), '400': errorResponse('Invalid input'), ...authErrors }
			}
		},
		'/api/v1/tokens/{id}': {
			delete: {
				tags: ['admin'],
				summary: 'Revoke an API token',
				parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
				responses: { '204': { description: 'Revoked' }, '404': errorResponse('No such token'), ...authErrors }
			}
		}
	},
	schemas: {
		SignIn: { type: 'object', required: ['email', 'password'], properties: { email: { type: 'string' }, password: { type: 'string' } } },
		SignedIn: {
			type: 'object',
			properties: { user: { $ref: '#/components/schemas/SessionUser' }, expiresAt: { type: 'string', format: 'date-time' } }
		},
		SessionUser: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, role } },
		User: {
			type: 'object',
			properties: {
				id: { type: 'string' },
				email: { type: 'string' },
				role,
				disabled: { type: 'boolean' },
				createdAt: { type: 'integer' },
				updatedAt: { type: 'integer' },
				sso: {
					description: 'set for accounts created by single sign-on (docs/sso.md): the provider id and the subject it knows the user by; null for local accounts',
					oneOf: [{ type: 'object', properties: { provider: { type: 'string' }, subject: { type: 'string' } }, required: ['provider', 'subject'] }, { type: 'null' }]
				}
			}
		},
		UserEnvelope: { type: 'object', properties: { user: { $ref: '#/components/schemas/User' } } },
		UserList: { type: 'object', properties: { users: { type: 'array', items: { $ref: '#/components/schemas/User' } } } },
		NewUser: {
			type: 'object',
			required: ['email', 'password', 'role'],
			properties: { email: { type: 'string', format: 'email' }, password: { type: 'string', minLength: 12 }, role }
		},
		UserChange: { type: 'object', properties: { role, disabled: { type: 'boolean' }, password: { type: 'string', minLength: 12 } } },
		NewToken: { type: 'object', required: ['name', 'role'], properties: { name: { type: 'string', maxLength: 100 }, role } },
		CreatedToken: { type: 'object', properties: { token: { type: 'string' }, id: { type: 'string' } } },
		TokenList: {
			type: 'object',
			properties: {
				tokens: {
					type: 'array',
					items: {
						type: 'object',
						properties: {
							id: { type: 'string' },
							name: { type: 'string' },
							role,
							createdBy: { type: 'string', description: 'email of the person the token acts for' },
							createdAt: { type: 'integer' },
							revoked: { type: 'boolean' },
							status: { type: 'string', description: "'active', or why the token does not work (revoked, creator disabled/deleted/no longer holding the role)" }
						}
					}
				}
			}
		}
	}
};
