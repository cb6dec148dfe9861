/**
 * Password hashing with argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane). The native
 * module is imported on first use so the SvelteKit build never loads it (it is in ssr.external).
 */
type Argon2 = typeof import('@node-rs/argon2');
let mod: Promise<Argon2> | null = null;
const argon2 = () => (mod ??= import('@node-rs/argon2'));

const OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export async function hashPassword(password: string): Promise<string> {
	return (await argon2()).hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
	try {
		return await (await argon2()).verify(hash, password);
	} catch {
		// a malformed stored hash is a failed verification, not a crash of the sign-in
		return false;
	}
}

let dummy: Promise<string> | null = null;
/** Spend the same time as a real check when the email is unknown, so timing does not reveal users. */
export async function verifyDummy(password: string): Promise<false> {
	dummy ??= hashPassword('syncscope-dummy-password-for-timing');
	await verifyPassword(await dummy, password);
	return false;
}
