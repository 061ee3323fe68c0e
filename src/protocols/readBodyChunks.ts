import type { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { dropRequestBody } from './dropRequestBody.js';
import { Rejection } from './httpEndpoint/Rejection.js';

/** Bytes of bodies held at once by one listener, across its requests. */
export interface BodyBytesBudget {
  readonly maxBytes: number;
  /** Counts `bytes` as held by this request; false (counting nothing) when that would pass `maxBytes`. */
  reserve(bytes: number): boolean;
  /** Whether `bytes` more would fit now (reserving nothing). */
  fits(bytes: number): boolean;
}

/** A request body as it arrived: its chunks, in order, uncopied, and their total length. */
export interface BodyChunks {
  readonly chunks: Buffer[];
  readonly byteLength: number;
}

/**
 * Reads the body of `req` as the chunks Node's HTTP parser handed over (views of the socket's reads: no
 * `Buffer.concat`, no copy), refusing one over `maxBodyBytes` with a 413 {@link Rejection}: at once when its
 * `Content-Length` says so, else as soon as the bytes read pass it. The rest of a refused body is read and
 * dropped, so the sender still gets the answer on a connection it can keep using. With `budget`, every chunk
 * is counted in it; a body whose `Content-Length` does not fit beside the bodies held now (before any of it is
 * read), or a chunk that does not fit, is a 503 {@link Rejection} that closes the connection. The body
 * readers of the HTTP endpoint receiver and of Firehose's API server.
 */
export function readBodyChunks(req: IncomingMessage, maxBodyBytes: number, budget?: BodyBytesBudget): Promise<BodyChunks> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    dropRequestBody(req);
    return Promise.reject(new Rejection(413, `the body has ${declared} bytes; at most ${maxBodyBytes} are accepted`));
  }
  // A body that cannot fit beside those held now is refused before any of it is read.
  if (budget !== undefined && Number.isFinite(declared) && declared > 0 && !budget.fits(declared))
    return Promise.reject(overBudget(budget));
  return new Promise<BodyChunks>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      if (budget !== undefined && !budget.reserve(chunk.length)) {
        cleanup();
        chunks.length = 0;
        // The connection is closed after the answer: nothing more is read.
        reject(overBudget(budget));
        return;
      }
      size += chunk.length;
      if (size <= maxBodyBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      chunks.length = 0;
      dropRequestBody(req);
      reject(new Rejection(413, `the body exceeds ${maxBodyBytes} bytes`));
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ chunks, byteLength: size });
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the sender closed the connection before the body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** A 503 that closes the connection: the bodies held at once would pass the budget. */
function overBudget(budget: BodyBytesBudget): Rejection {
  return new Rejection(503, `the endpoint holds ${budget.maxBytes} bytes of request bodies at most and is full; retry later`, true);
}
