import { mapInOrder } from '../../codecs/mapInOrder.js';
import { dataOf } from '../../records/dataOf.js';
import type { DeliveryAck, DeliveryAttempt, ItemFailure } from '../Destination.js';
import { DeliveryError } from '../DeliveryError.js';
import { buildRequestBody } from './buildRequestBody.js';
import type { HttpEndpointConfig } from './options.js';
import { planRequests, type BatchMemo, type RequestLimits, type SendableItem } from './planRequests.js';
import { postRequest } from './service.js';

/** Requests of one batch in flight at once, when it is split. */
const PARALLEL_REQUESTS = 4;
/** Batches whose split requests are remembered for their retries (only split batches that partly failed are). */
export const MAX_BATCH_MEMOS = 4096;

/**
 * One attempt of one batch: cuts it into requests (one unless it holds over 10,000 records or 64 MiB),
 * builds and sends them, and acknowledges.
 *
 * A single request's failure is the attempt's (thrown, so a 413 stays permanent). When a batch was split,
 * each request that failed is reported as item failures of its records, so only those are retried; the
 * retry sends each of them again exactly as it was, with the same request id (`memos` remembers them per
 * batch id). Records that cannot be sent at all (over 1,024,000 bytes, or not bytes) fail permanently.
 */
export async function sendBatch(
  config: HttpEndpointConfig,
  memos: Map<string, BatchMemo>,
  batch: readonly unknown[],
  attempt: DeliveryAttempt,
  limits: RequestLimits,
): Promise<DeliveryAck> {
  const { batchId, signal } = attempt;
  const failed: ItemFailure[] = [];
  const items: SendableItem[] = [];
  batch.forEach((record, index) => {
    try {
      items.push({ index, data: dataOf(record) });
    } catch (err) {
      failed.push({ index, errorCode: 'HttpEndpoint.InvalidRecord', errorMessage: (err as Error).message, retriable: false });
    }
  });

  const memo = memos.get(batchId);
  const plan = planRequests(items, batchId, memo, limits);
  for (const index of plan.tooLarge) {
    const bytes = items.find((i) => i.index === index)!.data.byteLength;
    failed.push({
      index,
      errorCode: 'HttpEndpoint.RecordTooLarge',
      errorMessage: `the record has ${bytes} bytes; the protocol carries records of at most ${limits.maxRecordBytes} bytes`,
      retriable: false,
    });
  }

  const timestampMs = attempt.scheduler.now();
  const outcomes = await mapInOrder(plan.requests, PARALLEL_REQUESTS, async (request): Promise<unknown> => {
    try {
      const body = await buildRequestBody(request, timestampMs, config.gzip);
      await postRequest(config, request.requestId, body, signal, attempt.scheduler);
      return undefined;
    } catch (err) {
      return err ?? new Error('request failed');
    }
  });
  if (signal.aborted) throw signal.reason;

  remember(memos, batchId, memo, plan.requests, outcomes);

  const single = plan.requests.length === 1 && failed.length === 0;
  if (single && outcomes[0] !== undefined) throw outcomes[0];

  const delivered: string[] = [];
  plan.requests.forEach((request, i) => {
    const err = outcomes[i];
    if (err === undefined) {
      delivered.push(request.requestId);
      return;
    }
    const { code, message, permanent } = describe(err);
    for (const item of request.items) failed.push({ index: item.index, errorCode: code, errorMessage: message, retriable: !permanent });
  });
  // In batch order: deliverTo retries the failed items in the order they are reported, and the retry must
  // find each failed request's records together, in their order, to send it again unchanged.
  failed.sort((a, b) => a.index - b.index);
  return {
    ...(delivered.length === 0 ? {} : { location: `${config.location}#requestId=${delivered.join(',')}` }),
    ...(failed.length === 0 ? {} : { failed }),
  };
}

/** Keeps what the next attempt of a split batch needs; forgets a batch once nothing of it is left to retry. */
function remember(memos: Map<string, BatchMemo>, batchId: string, memo: BatchMemo | undefined, requests: ReturnType<typeof planRequests>['requests'], outcomes: readonly unknown[]): void {
  const retried = requests.filter((_r, i) => outcomes[i] !== undefined && !describe(outcomes[i]).permanent);
  memos.delete(batchId);
  // A batch sent as one request needs no memo: its retry cuts the same request, with the same id.
  if (retried.length === 0 || (requests.length <= 1 && memo === undefined)) return;
  memos.set(batchId, {
    failed: retried.map((r) => ({ requestId: r.requestId, digest: r.digest, count: r.items.length })),
    issued: new Set([...(memo?.issued ?? []), ...requests.map((r) => r.requestId)]),
  });
  // Batches that gave up are never retried again: drop the oldest memos beyond the bound.
  while (memos.size > MAX_BATCH_MEMOS) memos.delete(memos.keys().next().value!);
}

function describe(err: unknown): { code: string; message: string; permanent: boolean } {
  if (err instanceof DeliveryError) return { code: err.code, message: err.message, permanent: err.permanent };
  const e = err as { name?: unknown; message?: unknown };
  return { code: `HttpEndpoint.${typeof e.name === 'string' ? e.name : 'Error'}`, message: typeof e.message === 'string' ? e.message : String(err), permanent: false };
}
