import { createHash } from 'node:crypto';
import { fitsInBatch } from '../../batching/fitsInBatch.js';
import { uuidFromSeed } from '../objectStore/seededNames.js';
import {
  base64Length,
  BODY_OVERHEAD_BYTES,
  MAX_RECORD_BYTES,
  MAX_RECORDS_PER_REQUEST,
  MAX_REQUEST_BODY_BYTES,
  RECORD_OVERHEAD_BYTES,
} from '../../protocols/httpEndpoint/protocol.js';

/** How a batch is cut into requests. */
export interface RequestLimits {
  /** Records per request. */
  readonly maxRecords: number;
  /** Bytes of the JSON body, before compression. */
  readonly maxBodyBytes: number;
  /** Bytes of one record's data, before base64: a larger record is refused. */
  readonly maxRecordBytes: number;
}

/** The protocol's limits: 10,000 records and 64 MiB per request, records of at most 1,024,000 bytes. */
export const PROTOCOL_LIMITS: RequestLimits = {
  maxRecords: MAX_RECORDS_PER_REQUEST,
  maxBodyBytes: MAX_REQUEST_BODY_BYTES,
  maxRecordBytes: MAX_RECORD_BYTES,
};

/** One item to send: its index in the attempt's batch and its bytes. */
export interface SendableItem {
  readonly index: number;
  readonly data: Uint8Array;
}

/** One request of a plan: which items, and the id it carries. */
export interface PlannedRequest {
  readonly requestId: string;
  /** SHA-256 of the records' lengths and bytes, in order (hex). */
  readonly digest: string;
  /** Items, in batch order. */
  readonly items: readonly SendableItem[];
}

export interface RequestPlan {
  readonly requests: readonly PlannedRequest[];
  /** Indexes of items larger than `maxRecordBytes`: they are not sent. */
  readonly tooLarge: readonly number[];
}

/**
 * Cuts the items of one batch into requests within the limits and gives each its request id. Called once
 * per batch: retries resend the requests built from this plan, so their ids survive by construction.
 *
 * A request id is a UUID derived from the batch id, the request's content (its records, in order) and,
 * only to tell apart two byte-identical requests of one batch, a counter. So a request with other content
 * never reuses an id, and deduplicating by id never drops data.
 *
 * The items are cut greedily in order: a request takes records while it stays within `maxRecords` and
 * `maxBodyBytes`; the first record of a request always fits.
 */
export function planRequests(items: readonly SendableItem[], batchId: string, limits: RequestLimits): RequestPlan {
  const tooLarge: number[] = [];
  const sendable: SendableItem[] = [];
  for (const item of items) {
    if (item.data.byteLength > limits.maxRecordBytes) tooLarge.push(item.index);
    else sendable.push(item);
  }

  const requests: PlannedRequest[] = [];
  const used = new Set<string>();
  let position = 0;
  const budget = limits.maxBodyBytes - BODY_OVERHEAD_BYTES;
  while (position < sendable.length) {
    const start = position;
    let bytes = 0;
    while (position < sendable.length) {
      const cost = RECORD_OVERHEAD_BYTES + base64Length(sendable[position]!.data.byteLength) + (position > start ? 1 : 0);
      // The first record always fits: records are at most maxRecordBytes, far below the body limit.
      if (!fitsInBatch(position - start, bytes, cost, budget, limits.maxRecords)) break;
      bytes += cost;
      position++;
    }
    const slice = sendable.slice(start, position);
    const digest = digestOf(slice);
    let k = 0;
    let requestId = idOf(batchId, digest, k);
    while (used.has(requestId)) requestId = idOf(batchId, digest, ++k);
    used.add(requestId);
    requests.push({ requestId, digest, items: slice });
  }
  return { requests, tooLarge };
}

function idOf(batchId: string, digest: string, k: number): string {
  return uuidFromSeed(`rx-firehose/http-endpoint-request\n${batchId}\n${digest}\n${k}`);
}

function digestOf(items: readonly SendableItem[]): string {
  const hash = createHash('sha256');
  const length = Buffer.alloc(4);
  for (const { data } of items) {
    length.writeUInt32BE(data.byteLength);
    hash.update(length);
    hash.update(data);
  }
  return hash.digest('hex');
}
