import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkNumber } from '../options/checkNumber.js';
import { FirehoseApiError } from '../sources/directPut/FirehoseApiError.js';
import { MAX_BATCH_BYTES } from '../sources/directPut/limits.js';
import type { PutRecordEntry } from '../sources/directPut/openDirectPut.js';
import type { DeliveryStreamRegistry } from './DeliveryStreamRegistry.js';
import { scanPutRecordBatch } from './scanPutRecordBatch.js';
import { verifySigV4 } from './verifySigV4.js';
import { Rejection } from '../protocols/httpEndpoint/Rejection.js';
import { concurrentBodyBytes } from '../protocols/concurrentBodyBytes.js';
import { dropRequestBody } from '../protocols/dropRequestBody.js';
import { readBodyChunks, type BodyBytesBudget, type BodyChunks } from '../protocols/readBodyChunks.js';

const NAME = 'firehoseApiListener';
const TARGET_PREFIX = 'Firehose_20150804.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The default `maxBodyBytes`: 8 MiB. The largest valid request, a PutRecordBatch of 4 MiB of data, is
 * about 5.6 MB of base64 plus its JSON; a larger body cannot be a valid request.
 */
export const DEFAULT_MAX_API_BODY_BYTES = 8 * 1_048_576;
/** The default `maxConcurrentBodyBytes`: 128 MiB, sixteen of the largest valid requests at once. */
export const DEFAULT_MAX_API_CONCURRENT_BODY_BYTES = 128 * 1_048_576;

export interface FirehoseApiListenerOptions {
  /**
   * Access key id → secret access key. With it, every request must carry a valid AWS Signature Version 4
   * by one of these keys. Without it (the default), any credentials, or none, are accepted.
   */
  readonly credentials?: ReadonlyMap<string, string> | undefined;
  /** The largest request body read; larger ones are refused before parsing. Default 8 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /**
   * The most body bytes held at once across all requests in progress: a request that would pass it is
   * answered `ServiceUnavailableException` ("Slow down.", which SDKs retry) and its connection closed, so many
   * slow or stuck senders cannot fill memory. Default 128 MiB, and never less than `maxBodyBytes`.
   */
  readonly maxConcurrentBodyBytes?: number | undefined;
  /** The clock for signature dates. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** Told about internal errors (never about secrets). Default: stderr. */
  readonly log?: ((message: string) => void) | undefined;
}

type Operation = (registry: DeliveryStreamRegistry, body: Record<string, unknown>) => unknown;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateDeliveryStream: (r, b) => r.create(b as never),
  DescribeDeliveryStream: (r, b) => r.describe(b.DeliveryStreamName),
  ListDeliveryStreams: (r, b) => r.list(b),
  DeleteDeliveryStream: (r, b) => r.delete(b.DeliveryStreamName),
  PutRecord: (r, b) => r.putRecord(b.DeliveryStreamName, decodeRecord((b.Record ?? null) as unknown, 'Record')),
  PutRecordBatch: (r, b) => {
    if (!Array.isArray(b.Records)) throw new FirehoseApiError('InvalidArgumentException', 'Records must be a list of records.');
    return r.putRecordBatch(b.DeliveryStreamName, decodeRecords(b.Records));
  },
  TagDeliveryStream: (r, b) => r.tag(b.DeliveryStreamName, b.Tags),
  UntagDeliveryStream: (r, b) => r.untag(b.DeliveryStreamName, b.TagKeys),
  ListTagsForDeliveryStream: (r, b) => r.listTags(b.DeliveryStreamName, b),
};

/**
 * Firehose's JSON API over HTTP, as a Node request listener: AWS JSON 1.1 on `POST /`, the operation in
 * `X-Amz-Target: Firehose_20150804.<Operation>`, answers and errors (`{"__type", "message"}`) as Firehose
 * sends them, so an unmodified AWS SDK client or the AWS CLI can talk to it.
 *
 * <span class="informal">Point an AWS SDK's Firehose client at it with `endpoint`.</span>
 *
 * Operations: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
 * PutRecord, PutRecordBatch, TagDeliveryStream, UntagDeliveryStream, ListTagsForDeliveryStream (any other is
 * `UnknownOperationException`). A body over `maxBodyBytes` is refused (413) before it is parsed; a body that
 * is not JSON, or data that is not base64, is `SerializationException`; nothing a client sends crashes the
 * server. With `credentials`, the SigV4 signature is checked first (403 otherwise).
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { DeliveryStreamRegistry, firehoseApiListener } from 'rx-firehose';
 *
 * const registry = await DeliveryStreamRegistry.open({ dataDir: './firehose-data' });
 * createServer(firehoseApiListener(registry)).listen(4573, '127.0.0.1');
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function firehoseApiListener(
  registry: DeliveryStreamRegistry,
  options: FirehoseApiListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = checkNumber(NAME, 'maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_API_BODY_BYTES, {
    min: MAX_BATCH_BYTES,
    integer: true,
    unit: 'bytes',
  });
  const maxConcurrentBodyBytes = checkNumber(
    NAME,
    'maxConcurrentBodyBytes',
    options.maxConcurrentBodyBytes,
    Math.max(DEFAULT_MAX_API_CONCURRENT_BODY_BYTES, maxBodyBytes),
    { min: maxBodyBytes, integer: true, unit: 'bytes, at least maxBodyBytes' },
  );
  const bodyBytes = concurrentBodyBytes(maxConcurrentBodyBytes);
  if (options.credentials !== undefined && !(options.credentials instanceof Map))
    throw new InvalidOptionError(NAME, 'credentials', options.credentials, 'a Map of access key id to secret access key');
  const scheduler = options.scheduler ?? asyncScheduler;
  const log = options.log ?? ((message: string) => process.stderr.write(`rx-firehose: ${message}\n`));
  return (req, res) => {
    const { budget, release } = bodyBytes();
    handle(req, registry, options.credentials, maxBodyBytes, budget, scheduler).then(
      (answer) => {
        release();
        send(res, 200, answer);
      },
      (err: unknown) => {
        release();
        if (err instanceof FirehoseApiError) return sendError(res, err.status, err.type, err.message);
        if (err instanceof Rejection && err.status === 413)
          return sendError(res, 413, 'InvalidArgumentException', `The request ${err.message}.`, true);
        if (err instanceof Rejection && err.status === 503)
          return sendError(
            res,
            503,
            'ServiceUnavailableException',
            `Slow down. The server holds ${maxConcurrentBodyBytes} bytes of request bodies at most and is full; retry later.`,
            true,
          );
        if (req.destroyed && !req.readableEnded) return; // the client went away while sending
        log(`internal error answering ${String(req.headers['x-amz-target'])}: ${(err as Error)?.stack ?? String(err)}`);
        sendError(res, 500, 'InternalFailure', 'The server had an internal error.');
      },
    );
  };
}

async function handle(
  req: IncomingMessage,
  registry: DeliveryStreamRegistry,
  credentials: ReadonlyMap<string, string> | undefined,
  maxBodyBytes: number,
  budget: BodyBytesBudget,
  scheduler: SchedulerLike,
): Promise<unknown> {
  if (req.method !== 'POST') {
    dropRequestBody(req);
    throw new FirehoseApiError('UnknownOperationException', `Firehose's API takes POST; got ${req.method ?? 'no method'}.`);
  }
  let body: Promise<BodyChunks> | undefined;
  const readBody = (): Promise<BodyChunks> => (body ??= readBodyChunks(req, maxBodyBytes, budget));
  const target = req.headers['x-amz-target'];
  const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  const run = operation === undefined || !Object.hasOwn(OPERATIONS, operation) ? undefined : OPERATIONS[operation];
  if (credentials !== undefined) {
    const bodyBytes = async (): Promise<Buffer> => {
      const { chunks, byteLength } = await readBody();
      return joined(chunks, byteLength);
    };
    try {
      await verifySigV4({ method: req.method, path: req.url ?? '/', headers: req.headers, body: bodyBytes }, credentials, scheduler.now());
    } catch (err) {
      // Refused on its headers (no signature, an unknown key, …): its body is dropped as it comes, never held.
      if (body === undefined) dropRequestBody(req);
      throw err;
    }
  }
  const { chunks, byteLength } = await readBody();
  if (run === undefined)
    throw new FirehoseApiError(
      'UnknownOperationException',
      `Unknown operation ${JSON.stringify(typeof target === 'string' ? target : '')}; X-Amz-Target must be ${TARGET_PREFIX}<Operation>.`,
    );
  if (operation === 'PutRecordBatch') {
    // The hot path: the records decoded straight from the chunks as they arrived.
    const scanned = scanPutRecordBatch(chunks);
    if (scanned !== undefined) return registry.putRecordBatch(scanned.DeliveryStreamName, scanned.Records);
  }
  let parsed: unknown;
  try {
    parsed = byteLength === 0 ? {} : JSON.parse(joined(chunks, byteLength).toString('utf8'));
  } catch {
    throw new FirehoseApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new FirehoseApiError('SerializationException', 'The request body must be a JSON object.');
  return run(registry, parsed as Record<string, unknown>);
}

/** The body's chunks as one buffer (one chunk as it is). */
function joined(chunks: Buffer[], byteLength: number): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, byteLength);
}

/** A record of a request: `Data` in base64, decoded; anything else is `SerializationException`. */
function decodeRecord(record: unknown, where: string): PutRecordEntry {
  return decodeRecords([record], where)[0]!;
}

/**
 * The records of a request, their `Data` decoded from base64 into one buffer for the whole request (each
 * record a view of it: one allocation, not one per record); anything else is `SerializationException`.
 */
function decodeRecords(records: readonly unknown[], where?: string): PutRecordEntry[] {
  const datas: string[] = [];
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const data = (records[i] as { Data?: unknown } | null)?.Data;
    if (typeof data !== 'string' || data.length % 4 !== 0)
      throw new FirehoseApiError(
        'SerializationException',
        `${where ?? `Records[${i}]`}.Data must be a ${typeof data === 'string' ? 'valid ' : ''}base64 string.`,
      );
    datas.push(data);
    total += decodedLength(data);
  }
  const bytes = Buffer.allocUnsafe(total);
  const out: PutRecordEntry[] = [];
  let at = 0;
  for (let i = 0; i < datas.length; i++) {
    const length = decodedLength(datas[i]!);
    // Node skips characters that are not base64: fewer bytes than the text's length says means there were some.
    if (length > 0 && bytes.write(datas[i]!, at, length, 'base64') !== length)
      throw new FirehoseApiError('SerializationException', `${where ?? `Records[${i}]`}.Data is not valid base64.`);
    out.push({ Data: bytes.subarray(at, at + length) });
    at += length;
  }
  return out;
}

/** The bytes a base64 text of a length divisible by 4 holds. */
function decodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function send(res: ServerResponse, status: number, answer: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(answer ?? {});
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': randomUUID() });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, type: string, message: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
    'x-amzn-ErrorType': type,
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(body);
}
