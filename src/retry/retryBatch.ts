import { from, map, type Observable, type ObservableInput } from 'rxjs';
import type { DeliveryAck, DeliveryRequest, ItemFailure, SendOutcome } from '../destinations/Destination.js';
import { retryRequest, type RetryPolicy, type RequestOutcome } from './retryRequest.js';

export type { FinalFailure, RetryPolicy } from './retryRequest.js';
/** How a batch's attempts ended; `failed` is keyed by index in the batch. */
export type RetryOutcome = RequestOutcome;

interface ItemsRequest extends DeliveryRequest {
  readonly ids: readonly [];
}

/**
 * {@link retryRequest} for calls that take the items themselves (an error output's `send`, a
 * Lambda invocation): each attempt gets the items still pending, and a partial failure (indexes into that
 * attempt's items) retries only those. Emits one outcome whose `failed` is keyed by index in `items`.
 */
export function retryBatch<T>(
  items: readonly T[],
  attemptOnce: (pending: readonly T[], attempt: number) => ObservableInput<DeliveryAck | void>,
  policy: RetryPolicy,
  namespace: string,
): Observable<RetryOutcome> {
  const all: ItemsRequest = { ids: [], items: items.map((_item, i) => i), bytes: 0 };
  const send = (request: ItemsRequest, attempt: number): Observable<SendOutcome<ItemsRequest>> => {
    const pending = request.items.length === items.length ? items : request.items.map((i) => items[i]!);
    return from(attemptOnce(pending, attempt) as ObservableInput<DeliveryAck | void>).pipe(
      map((ack): SendOutcome<ItemsRequest> => {
        const itemFailures = ack?.failed ?? [];
        if (itemFailures.length === 0) return { status: 'accepted', location: ack?.location };
        const failed: ItemFailure[] = [];
        const retry: number[] = [];
        for (const f of itemFailures) {
          const index = request.items[f.index];
          if (index === undefined || !Number.isInteger(f.index))
            throw new RangeError(
              `${namespace}: a partial failure names item ${f.index}, but the attempt had ${request.items.length} item(s)`,
            );
          failed.push({ ...f, index });
          if (f.retriable !== false) retry.push(index);
        }
        retry.sort((a, b) => a - b);
        return { status: 'partial', location: ack?.location, failed, retry: { ids: [], items: retry, bytes: 0 } };
      }),
    );
  };
  return retryRequest(all, send, policy, namespace);
}
