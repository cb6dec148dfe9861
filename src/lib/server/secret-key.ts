/**
 * The installation's secret key, kept outside ClickHouse: SYNCSCOPE_SECRET_KEY (set it to the same
 * value on every console process in server mode), else a random key created once in
 * <dataDir>/secret.key (mode 0600), which suits the single-process embedded mode. It encrypts
 * action-endpoint secrets (actions/secret-box.ts) and, through a key derived for that purpose
 * alone (HKDF, RFC 5869), signs the audit log (audit/hmac.ts).
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from './config';

/** Where the embedded-mode key file lives. */
export function secretKeyFile(): string {
	return join(config().dataDir, 'secret.key');
}

/** The key, created on first use in embedded mode. */
export function secretKey(): Buffer {
	const existing = existingSecretKey();
	if (existing) return existing;
	const c = config();
	// with a ClickHouse server, several console processes share the store: a per-process key file
	// would leave each unable to read (or verify) what the others wrote
	if (c.clickhouseUrl) throw new Error('set SYNCSCOPE_SECRET_KEY (base64 of 32 random bytes, the same on every console): it encrypts action-endpoint secrets and signs the audit log');
	mkdirSync(c.dataDir, { recursive: true });
	try {
		writeFileSync(secretKeyFile(), randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
	}
	return Buffer.from(readFileSync(secretKeyFile(), 'utf8').trim(), 'base64');
}

/** The key if one is configured or its file exists; never creates one (for verifying). */
export function existingSecretKey(): Buffer | null {
	const c = config();
	if (c.secretKey) return Buffer.from(c.secretKey, 'base64');
	if (c.clickhouseUrl || !existsSync(secretKeyFile())) return null;
	return Buffer.from(readFileSync(secretKeyFile(), 'utf8').trim(), 'base64');
}

/** A 32-byte key for one purpose, derived from the secret key (HKDF-SHA256). */
export function derivedKey(master: Buffer, purpose: string): Buffer {
	return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `syncscope:${purpose}`, 32));
}
