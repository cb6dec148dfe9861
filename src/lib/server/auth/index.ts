/** The auth module: sessions, users, API tokens, sign-in; and the first admin at start-up. */
import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config';
import { AuthError } from './errors';
import { countUsers, createUser } from './users';

export { signIn } from './sign-in';
export { validateSessionToken, invalidateSession, invalidateUserSessions, setSessionCookie, deleteSessionCookie, SESSION_COOKIE } from './session';
export { createUser, updateUser, deleteUser, listUsers, getUser } from './users';
export { createApiToken, listApiTokens, revokeApiToken, validateApiToken } from './tokens';
export { AuthError } from './errors';

/**
 * If nobody can sign in yet, create the first admin: from SYNCSCOPE_ADMIN_EMAIL/_PASSWORD, or
 * with a generated password printed once to the log (it is never stored in clear).
 */
export async function ensureFirstAdmin(c: Pick<Config, 'adminEmail' | 'adminPassword'>, log: (line: string) => void = console.log): Promise<void> {
	if ((await countUsers()) > 0) return;
	const email = c.adminEmail ?? 'admin@localhost';
	const generated = !c.adminPassword;
	const password = c.adminPassword ?? randomBytes(18).toString('base64url');
	try {
		await createUser({ email, password, role: 'admin' });
	} catch (e) {
		// a refused SYNCSCOPE_ADMIN_PASSWORD is a bad setting: say which, and exit as a config error
		if (e instanceof AuthError && e.status === 400) throw new ConfigError(`SYNCSCOPE_ADMIN_PASSWORD is refused: ${e.message}`);
		// two `syncscope migrate` (or start) at once: the other one created the first admin after our count
		if (e instanceof AuthError && e.status === 409) return;
		throw e;
	}
	if (generated) {
		log(`first admin created: ${email} with one-time password ${password}\n  (set SYNCSCOPE_ADMIN_EMAIL / SYNCSCOPE_ADMIN_PASSWORD to choose them; change it after signing in)`);
	} else {
		log(`first admin created: ${email}`);
	}
}
