/** Action endpoints (webhook targets) and the admin allow-list. Every change is audited. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { config } from '../config';
import { db, sql } from '../db';
import { appendAudit } from '../audit/log';
import { newSecret } from '../webhooks/signing';
import { open, seal } from './secret-box';
import { checkTarget, SsrfError } from '../webhooks/ssrf';

export const endpointInput = z.object({
	name: z.string().trim().min(1, 'name is required').max(100),
	url: z.string().trim().url('must be a URL like https://mw.example.com/syncscope'),
	secret: z
		.string()
		.regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'a Standard Webhooks secret: whsec_ + base64 of at least 24 bytes')
		.optional(),
	flows: z.array(z.string().min(1)).default([])
});
export type EndpointInput = z.input<typeof endpointInput>;

export interface Endpoint {
	id: string;
	name: string;
	url: string;
	flows: string[];
	enabled: boolean;
	disabledReason: string;
	updatedBy: string;
	updatedAt: string;
}

interface Row {
	Id: string;
	Version: number;
	Name: string;
	Url: string;
	SecretEnc: string;
	Flows: string[];
	Enabled: number;
	DisabledReason: string;
	Deleted: number;
	UpdatedBy: string;
	UpdatedAt: string;
}

type Actor = { email: string; role: string };

const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

function toEndpoint(r: Row): Endpoint {
	return { id: r.Id, name: r.Name, url: r.Url, flows: r.Flows, enabled: r.Enabled === 1, disabledReason: r.DisabledReason, updatedBy: r.UpdatedBy, updatedAt: r.UpdatedAt };
}

async function rows(id?: string): Promise<Row[]> {
	const where = id ? sql`WHERE Id = ${{ String: id }}` : sql``;
	return db().query<Row>(sql`SELECT * FROM action_endpoints FINAL ${where} ORDER BY Name`);
}

/** Admin list plus SYNCSCOPE_ACTION_ALLOWLIST, as lower-case host:port. */
export async function allowlist(): Promise<string[]> {
	const r = await db().query<{ HostPort: string }>(sql`SELECT HostPort FROM action_allowlist FINAL WHERE Deleted = 0`);
	return [...new Set([...config().actionAllowlist, ...r.map((x) => x.HostPort)])];
}

export async function adminAllowlist(): Promise<string[]> {
	const r = await db().query<{ HostPort: string }>(sql`SELECT HostPort FROM action_allowlist FINAL WHERE Deleted = 0 ORDER BY HostPort`);
	return r.map((x) => x.HostPort);
}

export const hostPortInput = z
	.string()
	.trim()
	.toLowerCase()
	.regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. localhost:8080');

/** Add or remove an allow-list entry (audited). */
export async function setAllowed(hostPortRaw: string, allowed: boolean, by: Actor): Promise<void> {
	// stored as ssrf.hostPort() spells it: IPv6 without brackets ("::1:8080")
	const hp = hostPortInput.parse(hostPortRaw).replace(/^\[(.*)\](:\d+)$/, '$1$2');
	await appendAudit(async () => ({ actor: by.email, role: by.role, action: allowed ? 'allowlist_add' : 'allowlist_remove', subjectType: 'allowlist', subjectId: hp, result: 'ok' }));
	await db().insertRows('action_allowlist', [{ HostPort: hp, Version: Date.now(), Deleted: allowed ? 0 : 1, UpdatedBy: by.email, UpdatedAt: now() }]);
}

export async function listEndpoints(): Promise<Endpoint[]> {
	return (await rows()).filter((r) => !r.Deleted).map(toEndpoint);
}

export async function getEndpoint(id: string): Promise<Endpoint | null> {
	const r = (await rows(id))[0];
	return r && !r.Deleted ? toEndpoint(r) : null;
}

/** The endpoint and its plain secret, for signing only. */
export async function endpointForSending(id: string): Promise<(Endpoint & { secret: string }) | null> {
	const r = (await rows(id))[0];
	return r && !r.Deleted ? { ...toEndpoint(r), secret: open(r.SecretEnc) } : null;
}

/** The enabled endpoint that serves a flow: one naming the flow, else one serving every flow. */
export async function endpointForFlow(flow: string): Promise<Endpoint | null> {
	const all = (await listEndpoints()).filter((e) => e.enabled);
	return all.find((e) => e.flows.includes(flow)) ?? all.find((e) => e.flows.length === 0) ?? null;
}

/** Create an endpoint after the SSRF check; returns its id and the secret (shown once). */
export async function createEndpoint(input: EndpointInput, by: Actor): Promise<{ id: string; secret: string }> {
	const v = endpointInput.parse(input);
	await checkTarget(v.url, await allowlist());
	const id = randomUUID();
	const secret = v.secret ?? newSecret();
	await appendAudit(async () => ({ actor: by.email, role: by.role, action: 'endpoint_create', subjectType: 'endpoint', subjectId: id, result: 'ok', data: { name: v.name, url: v.url, flows: v.flows } }));
	await db().insertRows('action_endpoints', [
		{ Id: id, Version: Date.now(), Name: v.name, Url: v.url, SecretEnc: seal(secret), Flows: v.flows, Enabled: 1, DisabledReason: '', Deleted: 0, UpdatedBy: by.email, UpdatedAt: now() }
	]);
	return { id, secret };
}

/** Change an endpoint (URL re-checked); enabled=false disables with a reason. */
export async function updateEndpoint(id: string, patch: { url?: string; name?: string; flows?: string[]; enabled?: boolean; deleted?: boolean; reason?: string }, by: Actor): Promise<Endpoint> {
	const cur = (await rows(id))[0];
	if (!cur || cur.Deleted) throw new SsrfError(`no endpoint ${id}`);
	if (patch.url !== undefined) {
		endpointInput.shape.url.parse(patch.url);
		await checkTarget(patch.url, await allowlist());
	}
	const next: Row = {
		...cur,
		Version: Math.max(Date.now(), cur.Version + 1),
		Name: patch.name ?? cur.Name,
		Url: patch.url ?? cur.Url,
		Flows: patch.flows ?? cur.Flows,
		Enabled: patch.enabled === undefined ? cur.Enabled : patch.enabled ? 1 : 0,
		DisabledReason: patch.enabled === false ? (patch.reason ?? 'disabled by an admin') : patch.enabled ? '' : cur.DisabledReason,
		Deleted: patch.deleted ? 1 : 0,
		UpdatedBy: by.email,
		UpdatedAt: now()
	};
	await appendAudit(async () => ({ actor: by.email, role: by.role, action: patch.deleted ? 'endpoint_delete' : 'endpoint_update', subjectType: 'endpoint', subjectId: id, result: 'ok', data: { ...patch } }));
	await db().insertRows('action_endpoints', [{ ...next }]);
	return toEndpoint(next);
}
