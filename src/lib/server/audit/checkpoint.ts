/**
 * The audit log's head checkpoint: the newest Seq and Hash this process appended, HMAC'd with the
 * audit key and kept apart from ClickHouse (a file, SYNCSCOPE_AUDIT_HEAD_FILE, default
 * <dataDir>/audit-head.json; also in every evidence pack). Someone who can change the table but not
 * the file cannot delete the newest rows unnoticed: the checkpoint names a row the table no longer
 * has. `macFrom` is the first row that carried an HMAC, so stripping HMACs is noticed too.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { config } from '../config';
import { canonicalJson } from './canonical';
import { auditMac, macEquals } from './hmac';

export interface AuditCheckpoint {
	version: 1;
	seq: number;
	hash: string;
	/** the first Seq that carries an HMAC; rows before it predate migration 210 */
	macFrom: number;
	/** the checkpointed row's At */
	at: string;
	mac: string;
}

export type CheckpointRead =
	| { state: 'absent'; file: string }
	| { state: 'invalid'; file: string; reason: string }
	| { state: 'ok'; file: string; checkpoint: AuditCheckpoint };

export function checkpointFile(): string {
	const c = config();
	return c.auditHeadFile ?? join(c.dataDir, 'audit-head.json');
}

const body = (cp: Omit<AuditCheckpoint, 'mac'>) => canonicalJson({ version: cp.version, seq: cp.seq, hash: cp.hash, macFrom: cp.macFrom, at: cp.at });

export function signCheckpoint(key: Buffer, cp: Omit<AuditCheckpoint, 'mac' | 'version'>): AuditCheckpoint {
	const unsigned = { version: 1 as const, ...cp };
	return { ...unsigned, mac: auditMac(key, 'checkpoint', body(unsigned)) };
}

/** Why a value is not a checkpoint signed with this key, or null when it is one. */
export function checkpointRefusal(value: unknown, key: Buffer): string | null {
	const cp = value as Partial<AuditCheckpoint> | null;
	if (!cp || typeof cp !== 'object' || cp.version !== 1 || !Number.isSafeInteger(cp.seq) || !Number.isSafeInteger(cp.macFrom) || typeof cp.hash !== 'string' || typeof cp.at !== 'string' || typeof cp.mac !== 'string')
		return 'not an audit head checkpoint';
	if (!macEquals(cp.mac, auditMac(key, 'checkpoint', body(cp as AuditCheckpoint)))) return 'its HMAC does not match (the file was edited, or signed with another key)';
	return null;
}

export async function readCheckpoint(key: Buffer | null, file = checkpointFile()): Promise<CheckpointRead> {
	if (!existsSync(file)) return { state: 'absent', file };
	let value: unknown;
	try {
		value = JSON.parse(await readFile(file, 'utf8'));
	} catch (e) {
		return { state: 'invalid', file, reason: `unreadable: ${(e as Error).message}` };
	}
	if (!key) return { state: 'invalid', file, reason: 'no audit key to check it with' };
	const why = checkpointRefusal(value, key);
	return why ? { state: 'invalid', file, reason: why } : { state: 'ok', file, checkpoint: value as AuditCheckpoint };
}

/** Replace the file atomically (write beside it, then rename), so a crash never leaves half a checkpoint. */
export async function writeCheckpoint(cp: AuditCheckpoint, file = checkpointFile()): Promise<void> {
	await mkdir(dirname(file), { recursive: true });
	const tmp = `${file}.${process.pid}.tmp`;
	await writeFile(tmp, JSON.stringify(cp, null, 2) + '\n', { mode: 0o600 });
	await rename(tmp, file);
}
