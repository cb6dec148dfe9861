/**
 * Hosts the built SvelteKit console (adapter-node's handler) on PORT, with /healthz and /readyz.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Config } from '../src/lib/server/config';
import { db } from '../src/lib/server/db';

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const PROTOCOL_HEADER = 'x-syncscope-socket-protocol';

export const BUILD_HANDLER = fileURLToPath(new URL('../build/handler.js', import.meta.url));

export interface ConsoleServer {
	server: Server;
	port: number;
	close(): Promise<void>;
}

export async function startConsole(config: Config): Promise<ConsoleServer> {
	if (!existsSync(BUILD_HANDLER)) {
		throw new Error('the console is not built: run `npm run build` first');
	}
	// adapter-node reads these at import; set them before loading the handler.
	process.env.ORIGIN ??= config.origin ?? '';
	if (!process.env.ORIGIN) delete process.env.ORIGIN;
	// Without ORIGIN, adapter-node assumes https, so a plain-http console (`npm start` on
	// localhost) would refuse every form post as cross-site. The protocol then comes from the
	// socket, through a header only this server sets (any client value is overwritten).
	const ownProtocolHeader = !process.env.ORIGIN && !process.env.PROTOCOL_HEADER;
	if (ownProtocolHeader) process.env.PROTOCOL_HEADER = PROTOCOL_HEADER;
	process.env.BODY_SIZE_LIMIT ??= '2M';
	const { handler } = (await import(BUILD_HANDLER)) as { handler: Handler };

	let draining = false;
	const server = createServer((req, res) => {
		if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
		if (req.url === '/readyz') {
			if (draining) return json(res, 503, { status: 'draining' });
			db()
				.ping()
				.then(() => json(res, 200, { status: 'ready' }))
				.catch((e: Error) => json(res, 503, { status: 'store unavailable', reason: e.message }));
			return;
		}
		if (ownProtocolHeader) req.headers[PROTOCOL_HEADER] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
		handler(req, res, () => json(res, 404, { message: 'Not found' }));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	return {
		server,
		port,
		close: () =>
			new Promise<void>((resolve) => {
				draining = true;
				server.close(() => resolve());
				server.closeIdleConnections();
			})
	};
}

function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}
