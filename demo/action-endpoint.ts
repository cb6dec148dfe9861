/**
 * The estate's action endpoint: a loopback HTTP server that receives Syncscope's replay and retry
 * webhooks (docs/contracts.md "Action webhooks"), verifies their Standard Webhooks signature,
 * processes each `Idempotency-Key` once — a redelivery gets the first answer back without running
 * anything again, so a duplicate delivery never creates a duplicate order — and hands the action
 * to the middleware (`handle`), which re-processes the payload and emits its telemetry.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { PayloadError, UnsupportedStepError, actionDataSchema, type ActionData, type ReprocessResult } from './reprocess';
import { verify } from './webhook-signature';

export const ACTION_PATH = '/syncscope/actions';

const webhookSchema = z.object({
	type: z.string(),
	timestamp: z.string().optional(),
	data: z.unknown()
});

const ACTION_TYPES = new Set(['syncscope.action.replay', 'syncscope.action.retry']);

export interface ActionEndpointOptions {
	host?: string;
	/** 0 picks a free port */
	port?: number;
	/** the endpoint's `whsec_…` secret (settable later: Syncscope may issue it at registration) */
	secret: string;
	handle: (data: ActionData) => Promise<ReprocessResult>;
	maxBodyBytes?: number;
	log?: (line: string) => void;
	/** clock for the timestamp tolerance (tests) */
	now?: () => number;
	/**
	 * A file that keeps the answers to processed Idempotency-Keys (JSON lines), so a delivery
	 * repeated after a restart is still answered without running it again. Memory only if unset.
	 */
	journal?: string;
}

export interface ActionEndpoint {
	url: string;
	port: number;
	setSecret(secret: string): void;
	/** deliveries actually processed (not counting redeliveries) */
	processed(): number;
	close(): Promise<void>;
}

interface Answer {
	status: number;
	body: Record<string, unknown>;
}

const DEDUPE_LIMIT = 10_000;

export async function startActionEndpoint(o: ActionEndpointOptions): Promise<ActionEndpoint> {
	let secret = o.secret;
	let processed = 0;
	const maxBody = o.maxBodyBytes ?? 5 * 1024 * 1024;
	const now = o.now ?? Date.now;
	const log = o.log ?? (() => {});
	// Idempotency-Key → the first delivery's answer (a promise, so a concurrent redelivery waits for it)
	const seen = new Map<string, Promise<Answer>>();
	for (const [key, a] of readJournal(o.journal)) seen.set(key, Promise.resolve(a));

	async function process(data: ActionData): Promise<Answer> {
		try {
			const result = await o.handle(data);
			processed++;
			log(`${data.action} ${data.flow} / ${data.step} ${data.correlationId}: ${result.ok ? 'succeeded' : `failed again (${result.error})`}`);
			return { status: 200, body: { status: 'processed', ...result } };
		} catch (e) {
			if (e instanceof UnsupportedStepError || e instanceof PayloadError) return { status: 422, body: { error: e.message } };
			throw e;
		}
	}

	async function answer(req: IncomingMessage, raw: string): Promise<Answer> {
		const header = (n: string) => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
		const v = verify(secret, { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') }, raw, now());
		if (!v.ok) return { status: v.reason === 'missing headers' ? 400 : 401, body: { error: v.reason } };
		let parsed: z.infer<typeof webhookSchema>;
		try {
			parsed = webhookSchema.parse(JSON.parse(raw));
		} catch {
			return { status: 400, body: { error: 'body is not a Syncscope webhook' } };
		}
		// Unknown event types are acknowledged, so the sender does not retry what we will never handle.
		if (!ACTION_TYPES.has(parsed.type)) return { status: 202, body: { status: 'ignored', type: parsed.type } };
		const data = actionDataSchema.safeParse(parsed.data);
		if (!data.success) return { status: 400, body: { error: `invalid action data: ${data.error.issues[0]?.path.join('.')} ${data.error.issues[0]?.message}` } };
		if (data.data.payloadSha256 && !digestMatches(data.data.payload, data.data.payloadSha256)) return { status: 400, body: { error: 'payload does not match payloadSha256' } };

		// Standard Webhooks: webhook-id is stable across retries too; Idempotency-Key is the contract's key.
		const key = header('idempotency-key') ?? header('webhook-id')!;
		const first = seen.get(key);
		if (first) {
			const a = await first;
			return { status: a.status, body: { ...a.body, status: a.status === 200 ? 'duplicate' : a.body.status } };
		}
		const pending = process(data.data);
		seen.set(key, pending);
		if (seen.size > DEDUPE_LIMIT) seen.delete(seen.keys().next().value!);
		try {
			const a = await pending;
			// a rejected payload was not processed: let a corrected redelivery through
			if (a.status !== 200) seen.delete(key);
			else if (o.journal) appendFileSync(o.journal, JSON.stringify({ key, ...a }) + '\n', { mode: 0o600 });
			return a;
		} catch (e) {
			seen.delete(key);
			throw e;
		}
	}

	const server = createServer((req, res) => {
		if (req.url?.split('?')[0] !== ACTION_PATH) return send(res, { status: 404, body: { error: 'not found' } });
		if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'POST only' } });
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > maxBody) {
				send(res, { status: 413, body: { error: 'body too large' } });
				req.destroy();
			} else chunks.push(c);
		});
		req.on('end', () => {
			if (res.headersSent) return;
			answer(req, Buffer.concat(chunks).toString('utf8'))
				.then((a) => send(res, a))
				.catch((e: Error) => {
					log(`action failed: ${e.stack ?? e.message}`);
					send(res, { status: 500, body: { error: 'processing failed' } });
				});
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
	});
	const addr = server.address();
	const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 0);
	const host = o.host ?? '127.0.0.1';
	return {
		url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${ACTION_PATH}`,
		port,
		setSecret: (s) => void (secret = s),
		processed: () => processed,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			})
	};
}

function readJournal(file: string | undefined): [string, Answer][] {
	if (!file || !existsSync(file)) return [];
	const out: [string, Answer][] = [];
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (!line.trim()) continue;
		try {
			const { key, status, body } = JSON.parse(line) as { key: string } & Answer;
			out.push([key, { status, body }]);
		} catch {
			// a line cut short by a crash: the delivery it recorded will be processed again
		}
	}
	return out.slice(-DEDUPE_LIMIT);
}

function digestMatches(payload: string, expected: string): boolean {
	const d = createHash('sha256').update(payload, 'utf8').digest();
	return expected.toLowerCase() === d.toString('hex') || expected === d.toString('base64') || expected === d.toString('base64url');
}

function send(res: ServerResponse, a: Answer): void {
	if (res.headersSent) return;
	res.writeHead(a.status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(a.body));
}
