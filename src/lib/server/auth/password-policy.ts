/**
 * The password policy, after OWASP ASVS 5.0 V6.2, applied wherever a password is set (users API,
 * the console's user form, the first admin from the environment):
 *  - 12 to 1024 characters (6.2.1 asks at least 8, 6.2.9 allows at least 64); no composition
 *    rules (6.2.5): any characters, spaces included, and nothing is trimmed;
 *  - not a common or breached password (6.2.4, 6.2.12): zxcvbn-ts's shipped list of about 49,000
 *    passwords from public breaches, read offline from @zxcvbn-ts/language-common;
 *  - not built from the user's email or the product name (6.2.11): with those words taken out, at
 *    least CONTEXT_FREE_CHARS other characters must remain;
 *  - not guessable in under 10^8 guesses by zxcvbn's estimate (score 3 of 4): this refuses
 *    `aaaaaaaaaaaa`, `abcdefghijkl`, `qwertyqwerty`, `Password1234` and l33t or reversed variants of
 *    listed passwords, which a list of exact entries alone lets through.
 * The dictionaries (a few MB) are loaded on first use, not when the console starts.
 */
import { AuthError } from './errors';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
/** zxcvbn's score: 3 = "safely unguessable: moderate protection from offline slow-hash scenario" (≥ 10^8 guesses) */
export const MIN_SCORE = 3;
const PRODUCT_WORDS = ['syncscope', 'sync scope'];
export const CONTEXT_FREE_CHARS = 8;

interface Checker {
	breached: Set<string>;
	check(password: string, userInputs: string[]): import('@zxcvbn-ts/core').ZxcvbnResult;
}
let checker: Promise<Checker> | null = null;
function load(): Promise<Checker> {
	return (checker ??= (async () => {
		const [{ ZxcvbnFactory }, common, en] = await Promise.all([
			import('@zxcvbn-ts/core'),
			import('@zxcvbn-ts/language-common'),
			import('@zxcvbn-ts/language-en')
		]);
		const zxcvbn = new ZxcvbnFactory({
			translations: en.translations,
			graphs: common.adjacencyGraphs,
			dictionary: { ...common.dictionary, ...en.dictionary }
		});
		return {
			breached: new Set(common.dictionary['passwords-common'].map((p) => p.toLowerCase())),
			check: (password, userInputs) => zxcvbn.check(password, userInputs)
		};
	})());
}

/** Words a password must not be built from: the email, its parts, the product name. */
function contextWords(email?: string): string[] {
	const words = [...PRODUCT_WORDS];
	if (email) {
		const [local, domain = ''] = email.toLowerCase().split('@');
		const labels = domain.split('.').slice(0, -1);
		words.push(email.toLowerCase(), local, ...local.split(/[._+-]/), ...labels, ...labels.flatMap((l) => l.split('-')));
	}
	return [...new Set(words.filter((w) => w.length >= 3))].sort((a, b) => b.length - a.length);
}

/** The characters left when the context words (longest first), separators and spaces are taken out. */
function withoutContext(password: string, words: string[]): number {
	let rest = password.toLowerCase();
	for (const w of words) rest = rest.split(w).join(' ');
	return [...rest.replace(/[\s._@+-]/g, '')].length;
}

/** Why a password is refused, in words for the person choosing it; null when it is acceptable. */
export async function passwordProblem(password: string, context: { email?: string } = {}): Promise<string | null> {
	const length = [...password].length;
	if (length < MIN_PASSWORD_LENGTH) {
		return `Passwords need at least ${MIN_PASSWORD_LENGTH} characters (this one has ${length}). A few unrelated words make a good one.`;
	}
	if (length > MAX_PASSWORD_LENGTH) return `Passwords may have at most ${MAX_PASSWORD_LENGTH} characters.`;
	const { breached, check } = await load();
	if (breached.has(password.toLowerCase())) {
		return 'This password is on a list of common passwords from data breaches. Choose another one.';
	}
	const words = contextWords(context.email);
	const fromContext = 'This password is built from your email address or the product name, which attackers try first. Choose another one.';
	if (withoutContext(password, words) < CONTEXT_FREE_CHARS) return fromContext;
	const r = check(password, words);
	if (r.score >= MIN_SCORE) return null;
	if (r.sequence.some((m) => m.pattern === 'dictionary' && m.dictionaryName === 'userInputs')) return fromContext;
	const why = r.feedback.warning ?? 'It could be guessed quickly.';
	const how = r.feedback.suggestions.length ? r.feedback.suggestions.join(' ') : 'Add another word or two that are less common.';
	return `This password is too easy to guess: ${why} ${how}`;
}

/** Refuse a password that does not meet the policy (400 with the reason). */
export async function checkPasswordPolicy(password: string, context: { email?: string } = {}): Promise<void> {
	const problem = await passwordProblem(password, context);
	if (problem) throw new AuthError(problem, 400);
}
