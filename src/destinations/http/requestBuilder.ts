import { dataOf } from '../../records/dataOf.js';
import type { BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';
import { buildRequestBody } from '../../protocols/httpEndpoint/buildRequestBody.js';
import { planRequests, type RequestLimits, type SendableItem } from './planRequests.js';

/** One POST of the protocol, built: its request id, the batch indexes of its records, and its body. */
export interface HttpEndpointPart {
  readonly requestId: string;
  readonly items: readonly number[];
  readonly body: Uint8Array;
}

/** A built batch: one POST unless it holds over 10,000 records or 64 MiB. The ids are the parts' request ids. */
export interface HttpEndpointRequest extends DeliveryRequest {
  readonly parts: readonly HttpEndpointPart[];
}

/** The request for `parts`: its ids, items and bytes. A partial retry calls it with the parts that failed. */
export function requestOfParts(parts: readonly HttpEndpointPart[]): HttpEndpointRequest {
  const items: number[] = [];
  let bytes = 0;
  for (const part of parts) {
    for (const i of part.items) items.push(i);
    bytes += part.body.byteLength;
  }
  return { ids: parts.map((p) => p.requestId), items, bytes, parts };
}

/**
 * The HTTP endpoint's request builder: cuts the batch into POSTs within the protocol's limits, gives each
 * its request id, and writes (and gzips) each body once, with the batch's build time as its `timestamp`.
 * Every retry resends these bodies unchanged. Records that cannot be sent at all (over 1,024,000 bytes,
 * or not bytes) fail permanently here.
 */
export async function buildHttpEndpointRequest(
  batch: readonly unknown[],
  batchId: string,
  timestampMs: number,
  gzip: boolean,
  limits: RequestLimits,
): Promise<BuiltRequest<HttpEndpointRequest>> {
  const failed: ItemFailure[] = [];
  const items: SendableItem[] = [];
  batch.forEach((record, index) => {
    try {
      items.push({ index, data: dataOf(record) });
    } catch (err) {
      failed.push({ index, errorCode: 'HttpEndpoint.InvalidRecord', errorMessage: (err as Error).message, retriable: false });
    }
  });
  const plan = planRequests(items, batchId, limits);
  if (plan.tooLarge.length > 0) {
    const bytesOf = new Map(items.map((i) => [i.index, i.data.byteLength]));
    for (const index of plan.tooLarge) {
      failed.push({
        index,
        errorCode: 'HttpEndpoint.RecordTooLarge',
        errorMessage: `the record has ${bytesOf.get(index)} bytes; the protocol carries records of at most ${limits.maxRecordBytes} bytes`,
        retriable: false,
      });
    }
  }
  const parts: HttpEndpointPart[] = [];
  for (const planned of plan.requests) {
    parts.push({
      requestId: planned.requestId,
      items: planned.items.map((i) => i.index),
      body: await buildRequestBody(planned, timestampMs, gzip),
    });
  }
  return { request: parts.length === 0 ? undefined : requestOfParts(parts), failed };
}
