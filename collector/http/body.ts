/**
 * Request bodies for OTLP/HTTP: content type, Content-Encoding and the size limit, which applies on
 * the wire and again after gunzip (zlib's maxOutputLength), so a small gzip bomb is a 413 too.
 * https://opentelemetry.io/docs/specs/otlp/#otlphttp-request
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { DecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import type { Encoding } from '../signals/response';

/** The encoding named by Content-Type; parameters such as charset are ignored. */
export function encodingOf(contentType: string | undefined): Encoding | null {
	const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
	if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'proto';
	if (media === 'application/json') return 'json';
	return null;
}

export function checkContentEncoding(value: string | undefined): 'gzip' | 'identity' {
	const v = (value ?? '').trim().toLowerCase();
	if (v === '' || v === 'identity') return 'identity';
	if (v === 'gzip' || v === 'x-gzip') return 'gzip';
	throw new UnsupportedMediaTypeError(`unsupported Content-Encoding: ${value}`);
}

/** Read the body up to `limit` bytes; rejects with PayloadTooLargeError beyond it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	const declared = Number(req.headers['content-length']);
	if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let failed = false;
		req.on('data', (c: Buffer) => {
			if (failed) return;
			size += c.length;
			if (size > limit) {
				failed = true;
				req.pause();
				reject(new PayloadTooLargeError(limit));
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => {
			if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
		});
		req.on('error', (e) => {
			if (!failed) reject(e);
			failed = true;
		});
		// a client that goes away mid-body must not leave the request pending forever
		req.on('close', () => {
			if (!failed && !req.complete) reject(new DecodeError('the client closed the connection before the body was complete'));
			failed = true;
		});
	});
}

/** gunzip with the same limit applied to the output. */
export function gunzipLimited(body: Buffer, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		gunzip(body, { maxOutputLength: limit }, (err, out) => {
			if (!err) return resolve(out);
			if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return reject(new PayloadTooLargeError(limit));
			reject(new DecodeError(`invalid gzip body: ${err.message}`));
		});
	});
}
