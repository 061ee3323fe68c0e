import { mergeMap, type OperatorFunction } from 'rxjs';
import { errorAfterDrain } from '../src/rx/errorAfterDrain.js';
import { batchDelivery, type DeliveryOptions } from '../src/delivery/batchDelivery.js';
import type { DeliveryResult } from '../src/delivery/DeliveryResult.js';
import type { Destination } from '../src/destinations/Destination.js';

export type DeliverToOptions<T> = DeliveryOptions<T>;

/**
 * Delivers each batch to a destination, with retries, and emits one {@link DeliveryResult} per batch.
 *
 * <span class="informal">Firehose's delivery: retried until it lands, or written to the error output. Never silently lost.</span>
 *
 * ```
 * source:  --A-----B------|          (A, B: batches; the destination fails B's first attempt)
 * result:  --a-------b----|          a: delivered, attempts 1; b: delivered, attempts 2 (after 1 s backoff)
 * ```
 *
 * For each batch the destination's request builder makes one request, once (encoded, compressed, with its
 * request ids); the service sends it. A throttled or transient error is retried with exponential backoff
 * and jitter (Firehose's: 1 s, ×2, ≤ 120 s, ±15%) while a retry would start within `retryDurationMs` of the
 * batch's first failure, resending the very same request; a permanent error is not retried; a partial
 * outcome resends only the smaller request the destination derived from the original, keeping its request
 * ids. Records that finally fail are written to `errorOutput` as Firehose failure records (JSON lines with
 * `attemptsMade`, `arrivalTimestamp`, `errorCode`, `errorMessage`, `attemptEndingTimestamp`, `rawData`),
 * and the result says `failed-to-error-output`. With no error output, the stream errors with
 * `UndeliverableRecordsError`, which carries the records.
 *
 * Up to `concurrency` batches (default: the destination's `concurrency`, else 1) are being built, sent or
 * retried at once; results are emitted in the order the batches finish, which with a concurrency of 1 is the
 * order they came in.
 * Batches arriving while `concurrency` are in flight wait in order (the source bounds how many: see
 * `maxInFlightBytes`). A destination whose sends are acknowledged later (Splunk's indexer acknowledgement)
 * frees the send slot at acceptance: up to `maxPendingAcks` batches (default 100) wait for their
 * acknowledgement at once, each at most `ackTimeoutMs` (then it is sent again). A destination with stages
 * runs them in order per batch, each with its own retry duration and error output.
 * Completion waits until every batch is delivered or written to the error output; so does a source
 * error, which is passed on after that. Unsubscribing aborts requests in flight.
 *
 * Each record's settlement (if it has one) is settled by this operator alone, once the last stage
 * acknowledged it (`delivered`) or its failure record was written (`failed`). Metrics:
 * `DeliveryTo<name>.Records|Bytes|Success|DataFreshness`. The record type comes from the source: a
 * destination is not generic over it.
 *
 * ## Example
 * ```ts
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 * import { directoryDestination, toRecords } from 'rx-firehose';
 *
 * events$.pipe(
 *   toRecords({ appendNewline: true }),
 *   bufferBySizeOrTime({ maxBytes: 5 << 20, maxMs: 300_000 }),
 *   deliverTo(directoryDestination({ path: './out', streamName: 'events', compression: 'GZIP' })),
 * ).subscribe((result) => console.log(result.status, result.location));
 * ```
 *
 * @param destination Where batches go: a built-in destination or your own (see `Destination`).
 * @param options Error output, retry duration, concurrency, pending acknowledgements, backoff, scheduler, metrics.
 * @returns An operator from batches to delivery results.
 * @throws {InvalidOptionError} at the call, for an option out of its range.
 * @see teeBackup to deliver an untransformed copy in parallel.
 */
export function deliverTo<T>(
  destination: Destination,
  options: DeliverToOptions<T> = {},
): OperatorFunction<readonly T[], DeliveryResult<T>> {
  const create = batchDelivery('deliverTo', destination, options, `DeliveryTo${destination?.name}`);
  // A source error waits until the batches already received are delivered (or written to the error output).
  return errorAfterDrain((input) => {
    const { deliver, concurrency } = create();
    return input.pipe(mergeMap((records) => deliver({ records }), concurrency));
  });
}
