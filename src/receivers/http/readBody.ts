import { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Body } from '../../protocols/httpEndpoint/parseRequestBody.js';
import { Rejection } from '../../protocols/httpEndpoint/Rejection.js';
import { readBodyChunks, type BodyBytesBudget } from '../../protocols/readBodyChunks.js';

const gunzipAsync = promisify(gunzip);

export type { Body } from '../../protocols/httpEndpoint/parseRequestBody.js';
export type { BodyBytesBudget } from '../../protocols/readBodyChunks.js';

/**
 * Reads the body of `req`, refusing more than `maxBodyBytes` with 413, both as sent and after gzip
 * decompression (so a small compressed body cannot expand without bound). A body over the limit is
 * refused as soon as it is seen; the rest of it is read and discarded by Node, so the sender still gets
 * the answer on a connection it can keep using.
 *
 * When a framework has read the body already (`req.readableEnded`), its `req.body` is used: bytes or a
 * string (as `express.raw()` / `express.text()` leave it), or the parsed JSON (as `express.json()` does).
 */
export async function readBody(req: IncomingMessage, gzip: boolean, maxBodyBytes: number, budget?: BodyBytesBudget): Promise<Body> {
  let bytes: Buffer;
  if (req.readableEnded) {
    const pre = (req as IncomingMessage & { body?: unknown }).body;
    if (pre instanceof Uint8Array) bytes = Buffer.from(pre.buffer, pre.byteOffset, pre.byteLength);
    else if (typeof pre === 'string') bytes = Buffer.from(pre, 'utf8');
    else if (typeof pre === 'object' && pre !== null && !Array.isArray(pre) && Object.keys(pre).length > 0) return { parsed: pre };
    else
      throw new Rejection(500, 'the request body was read before httpEndpointListener saw it; mount the listener before any body parser');
    // A framework may or may not have inflated it already: gzip starts with 1f 8b, JSON never does.
    gzip = gzip && bytes[0] === 0x1f && bytes[1] === 0x8b;
  } else {
    bytes = await readStream(req, maxBodyBytes, budget);
  }
  if (!gzip) return { bytes };
  try {
    const inflated = await gunzipAsync(bytes, { maxOutputLength: maxBodyBytes });
    if (budget !== undefined && !budget.reserve(inflated.length)) throw overBudget(budget);
    return { bytes: inflated };
  } catch (err) {
    if (err instanceof Rejection) throw err;
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Rejection(413, `the body exceeds ${maxBodyBytes} bytes once decompressed`);
    throw new Rejection(400, `the body is not valid gzip: ${(err as Error).message}`);
  }
}

function overBudget(budget: BodyBytesBudget): Rejection {
  return new Rejection(503, `the endpoint holds ${budget.maxBytes} bytes of request bodies at most and is full; retry later`, true);
}

/** The body's bytes: the chunks as read, joined (one chunk is used as it is). */
async function readStream(req: IncomingMessage, maxBodyBytes: number, budget: BodyBytesBudget | undefined): Promise<Buffer> {
  const { chunks, byteLength } = await readBodyChunks(req, maxBodyBytes, budget);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, byteLength);
}
