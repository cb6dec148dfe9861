/**
 * The downstream ERP API the Node-RED flow calls: a plain node:http server in the test process
 * (not instrumented — the only spans come from Node-RED). It answers each order with the status
 * planned for it and records what it received, trace context included.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type OrderStatus = 201 | 422 | 503;
export interface PlannedOrder {
	id: string;
	status: OrderStatus;
	amount: number;
}

export interface ErpRequest {
	method: string;
	path: string;
	correlationId: string | null;
	/** W3C trace context injected by the HTTP instrumentation of Node-RED's outgoing call. */
	traceparent: string | null;
	body: unknown;
	status: number;
}

export interface ErpStub {
	/** The sales-order endpoint, given to the flow as ERP_URL. */
	url: string;
	received: ErpRequest[];
	plan(orders: readonly PlannedOrder[]): void;
	close(): Promise<void>;
}

const BODIES: Record<OrderStatus, (orderId: string) => object> = {
	201: (orderId) => ({ orderId, salesOrder: `ERP-${orderId}`, state: 'created' }),
	422: (orderId) => ({ orderId, error: 'validation_failed', message: 'credit limit exceeded' }),
	503: (orderId) => ({ orderId, error: 'unavailable', message: 'ERP maintenance window' })
};

export async function startErpStub(): Promise<ErpStub> {
	const planned = new Map<string, OrderStatus>();
	const received: ErpRequest[] = [];
	const server = createServer(async (req, res) => {
		const text = await readBody(req);
		let body: unknown = text;
		try {
			body = JSON.parse(text);
		} catch {
			// recorded as text
		}
		const correlationId = header(req, 'x-correlation-id');
		const orderId = correlationId ?? (body as { orderId?: string } | null)?.orderId ?? '';
		const status = req.method === 'POST' && req.url === '/orders' ? planned.get(orderId) : undefined;
		received.push({
			method: req.method ?? '',
			path: req.url ?? '',
			correlationId,
			traceparent: header(req, 'traceparent'),
			body,
			status: status ?? 404
		});
		res.writeHead(status ?? 404, { 'content-type': 'application/json' });
		res.end(JSON.stringify(status ? BODIES[status](orderId) : { error: 'unknown_order', orderId }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/orders`,
		received,
		plan: (orders) => orders.forEach((o) => planned.set(o.id, o.status)),
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | null {
	const v = req.headers[name];
	return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}
