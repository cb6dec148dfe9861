/**
 * Endpoint signing secrets are stored AES-256-GCM encrypted. The key is SYNCSCOPE_SECRET_KEY (set it
 * to the same value on every console process in server mode); without it, a random key is created
 * once in <dataDir>/secret.key (mode 0600), which suits the single-process embedded mode.
 * The plain secret is shown once, when the endpoint is created, and otherwise only used to sign.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from '../config';

function key(): Buffer {
	const c = config();
	if (c.secretKey) return Buffer.from(c.secretKey, 'base64');
	// with a ClickHouse server, several console processes share the endpoints table: a per-process
	// key file would leave each unable to read the others' secrets
	if (c.clickhouseUrl) throw new Error('set SYNCSCOPE_SECRET_KEY (base64 of 32 random bytes, the same on every console) to store action-endpoint secrets');
	const file = join(c.dataDir, 'secret.key');
	if (!existsSync(file)) {
		mkdirSync(c.dataDir, { recursive: true });
		writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
	}
	return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

/** "v1.<iv>.<tag>.<ciphertext>" in base64url parts. */
export function seal(plain: string): string {
	const iv = randomBytes(12);
	const c = createCipheriv('aes-256-gcm', key(), iv);
	const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
	return ['v1', iv, c.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function open(sealed: string): string {
	const [v, iv, tag, ct] = sealed.split('.');
	if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('sealed secret has an unknown format');
	const d = createDecipheriv('aes-256-gcm', key(), Buffer.from(iv, 'base64url'));
	d.setAuthTag(Buffer.from(tag, 'base64url'));
	return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}
