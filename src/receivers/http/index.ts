import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildResponseBody } from '../../protocols/httpEndpoint/buildResponseBody.js';
import { commonAttributesProblem } from '../../protocols/httpEndpoint/commonAttributesProblem.js';
import { parseRequestBodyResponsively } from '../../protocols/httpEndpoint/parseRequestBodyResponsively.js';
import { HEADERS, PROTOCOL_VERSION } from '../../protocols/httpEndpoint/protocol.js';
import { Rejection } from '../../protocols/httpEndpoint/Rejection.js';
import { concurrentBodyBytes } from '../../protocols/concurrentBodyBytes.js';
import { dropRequestBody } from '../../protocols/dropRequestBody.js';
import { checkListenerOptions, type HttpEndpointHandler, type HttpEndpointListenerOptions, type ListenerConfig } from './options.js';
import { readBody, type BodyBytesBudget } from './readBody.js';

export type { HttpEndpointHandler, HttpEndpointListenerOptions, HttpEndpointRecord, HttpEndpointRequestMeta } from './options.js';
export { DEFAULT_MAX_BODY_BYTES } from './options.js';

/** How long a refused sender's connection may linger after the answer before it is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** A Node request listener, for `http.createServer`, `https.createServer`, or a framework's route. */
export type HttpEndpointRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An HTTP endpoint that Amazon Data Firehose, or rx-firehose's `httpEndpointDestination`, can deliver to:
 * a Node request listener that speaks Firehose's HTTP endpoint delivery protocol and hands each request's
 * records to your handler.
 *
 * <span class="informal">The receiving end of Firehose's HTTP endpoint protocol, in a few lines.</span>
 *
 * ```
 * POST (Firehose) ──▶ method, access key, headers, content type, size, gzip, JSON, base64 ──▶ handler(records, meta)
 *                 ◀── 200 {"requestId","timestamp"}                     the handler resolved
 *                 ◀── 500 {"requestId","timestamp","errorMessage"}      the handler threw: the sender retries
 *                 ◀── 400 / 401 / 403 / 405 / 413 / 415 with errorMessage   the request was refused
 * ```
 *
 * Checks, in order: the method (405 unless POST); the access key, when one is configured, compared in
 * constant time (401 when missing or wrong); the protocol's headers (400 without
 * `X-Amz-Firehose-Protocol-Version: 1.0`, a request id or a source ARN, or with malformed common
 * attributes); the source ARN against `sourceArns` (403); `Content-Type: application/json` and a
 * `Content-Encoding` of none or gzip (415); the body's size, before and after gzip (413 over
 * `maxBodyBytes`); the body's schema (400: bad JSON, a request id differing from the header's, 0 or over
 * 10,000 records, data that is not base64). Then the handler gets the decoded records and the request's
 * id, source ARN, common attributes and timestamp. Every answer has the protocol's JSON body and
 * `Content-Type: application/json`.
 *
 * Deduplicate on `meta.requestId` if a record must not be processed twice: the sender keeps it the same
 * on every retry of a request, and a retry happens whenever an answer is lost.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { httpEndpointListener } from 'rx-firehose';
 *
 * const listener = httpEndpointListener(async (records, { requestId, sourceArn }) => {
 *   for (const { data } of records) console.log(requestId, sourceArn, data.toString('utf8'));
 * }, { accessKey: process.env.FIREHOSE_ACCESS_KEY });
 *
 * createServer(listener).listen(8080);
 * ```
 *
 * @param handler Receives the records of each request; throw to refuse them (the sender retries).
 * @param options The access key(s), allowed source ARNs, the largest body (default 90 MiB), the clock.
 * @returns A `(req, res)` listener for `http.createServer`, `https.createServer` or a framework route
 * (mounted before any body parser, or after one that leaves `req.body` as bytes, text or parsed JSON).
 * @throws {InvalidOptionError} at the call, for an invalid option (an access key is never shown).
 * @see httpEndpointDestination for the sending end.
 */
export function httpEndpointListener(handler: HttpEndpointHandler, options: HttpEndpointListenerOptions = {}): HttpEndpointRequestListener {
  const config = checkListenerOptions(handler, options, digestOf);
  const bodyBytes = concurrentBodyBytes(config.maxConcurrentBodyBytes); // body bytes held by all requests in progress
  return (req, res) => {
    const headerId = req.headers[HEADERS.requestId];
    const requestId = typeof headerId === 'string' ? headerId : '';
    const { budget, release } = bodyBytes();
    serve(req, handler, config, budget).then(
      () => {
        release();
        answer(res, config, 200, requestId);
      },
      (err: unknown) => {
        release();
        if (err instanceof Rejection) {
          answer(res, config, err.status, requestId, err.message, err.close ? req : undefined);
        } else if (!req.readableEnded && req.destroyed)
          return; // the sender went away while sending
        else answer(res, config, statusOf(err), requestId, messageOf(err));
      },
    );
  };
}

/** Checks the request and runs the handler; rejects with a {@link Rejection} for a refused request, or with the handler's error. */
async function serve(
  req: IncomingMessage,
  handler: HttpEndpointHandler,
  config: ListenerConfig,
  bytesBudget: BodyBytesBudget,
): Promise<void> {
  if (req.method !== 'POST') throw new Rejection(405, `${req.method ?? 'this method'} is not allowed: Firehose delivers with POST`, true);

  if (config.accessKeyDigests !== undefined) {
    const presented = req.headers[HEADERS.accessKey];
    if (typeof presented !== 'string' || presented === '') throw new Rejection(401, 'the request has no X-Amz-Firehose-Access-Key', true);
    const digest = digestOf(presented);
    // Compare with every key, whatever matched, so the time taken says nothing about the keys.
    let match = false;
    for (const key of config.accessKeyDigests) match = timingSafeEqual(digest, key) || match;
    if (!match) throw new Rejection(401, 'the X-Amz-Firehose-Access-Key is not valid', true);
  }

  const version = req.headers[HEADERS.protocolVersion];
  if (version !== PROTOCOL_VERSION) {
    throw new Rejection(
      400,
      `X-Amz-Firehose-Protocol-Version must be ${PROTOCOL_VERSION}; ${version === undefined ? 'it is missing' : `got ${JSON.stringify(version)}`}`,
    );
  }
  const headerId = req.headers[HEADERS.requestId];
  if (typeof headerId !== 'string' || headerId === '') throw new Rejection(400, 'the request has no X-Amz-Firehose-Request-Id');
  const sourceArn = req.headers[HEADERS.sourceArn];
  if (typeof sourceArn !== 'string' || sourceArn === '') throw new Rejection(400, 'the request has no X-Amz-Firehose-Source-Arn');
  const commonAttributes = parseCommonAttributes(req.headers[HEADERS.commonAttributes]);
  if (config.sourceArns !== undefined && !config.sourceArns.has(sourceArn)) {
    throw new Rejection(403, `the delivery stream ${sourceArn} may not deliver to this endpoint`, true);
  }

  const type = req.headers['content-type'];
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    throw new Rejection(
      415,
      `the Content-Type must be application/json; ${type === undefined ? 'it is missing' : `got ${JSON.stringify(type)}`}`,
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new Rejection(415, `the Content-Encoding must be gzip or none; got ${JSON.stringify(encoding)}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > config.maxBodyBytes) {
    dropRequestBody(req);
    throw new Rejection(413, `the body has ${declared} bytes; this endpoint accepts at most ${config.maxBodyBytes}`);
  }
  const body = await parseRequestBodyResponsively(await readBody(req, encoding === 'gzip', config.maxBodyBytes, bytesBudget));
  if (body.requestId !== headerId) {
    throw new Rejection(
      400,
      `the body's requestId ${JSON.stringify(body.requestId)} differs from X-Amz-Firehose-Request-Id ${JSON.stringify(headerId)}`,
    );
  }
  await handler(body.records, { requestId: headerId, sourceArn, commonAttributes, timestampMs: body.timestampMs });
}

function parseCommonAttributes(header: string | string[] | undefined): Readonly<Record<string, string>> {
  if (header === undefined) return {};
  const invalid = (why: string): Rejection =>
    new Rejection(400, `X-Amz-Firehose-Common-Attributes must be {"commonAttributes":{…}} with string values: ${why}`);
  if (typeof header !== 'string') throw invalid('the header appears more than once');
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    throw invalid('it is not JSON');
  }
  const attributes =
    typeof parsed === 'object' && parsed !== null ? (parsed as { commonAttributes?: unknown }).commonAttributes : undefined;
  const problem = commonAttributesProblem(attributes);
  if (problem !== undefined) throw invalid(`commonAttributes ${problem}`);
  return attributes as Record<string, string>;
}

/**
 * Writes the protocol's answer: `{"requestId","timestamp"}`, plus `errorMessage` for an error. With `close`,
 * the connection closes after the answer: the rest of the request's body is never waited for.
 */
function answer(
  res: ServerResponse,
  config: ListenerConfig,
  status: number,
  requestId: string,
  errorMessage?: string,
  close?: IncomingMessage,
): void {
  if (res.headersSent || res.destroyed) return;
  if (close !== undefined && !close.complete) {
    res.shouldKeepAlive = false; // Connection: close
    res.once('finish', () => {
      const socket = close.socket;
      // Half-close at once (the answer is on its way), then drop the connection whatever the sender still sends.
      socket.end();
      socket.destroySoon();
      config.scheduler.schedule(() => socket.destroy(), CLOSE_GRACE_MS);
    });
  }
  const body = buildResponseBody(requestId, config.scheduler.now(), errorMessage);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...(status === 405 ? { Allow: 'POST' } : {}),
  });
  res.end(body);
}

/** The status for a handler's error: its `statusCode` or `status` when that is 400–599, else 500. */
function statusOf(err: unknown): number {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { statusCode?: unknown; status?: unknown };
  for (const s of [e.statusCode, e.status]) if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599) return s;
  return 500;
}

function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  return m === '' ? 'the endpoint could not process the records' : m;
}

function digestOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
