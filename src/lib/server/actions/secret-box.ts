/**
 * Endpoint signing secrets are stored AES-256-GCM encrypted with the installation's secret key
 * (secret-key.ts: SYNCSCOPE_SECRET_KEY, else <dataDir>/secret.key in embedded mode).
 * The plain secret is shown once, when the endpoint is created, and otherwise only used to sign.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { secretKey as key } from '../secret-key';

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
