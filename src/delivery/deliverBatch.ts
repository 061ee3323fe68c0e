import { map, mergeMap, Observable, of, throwError, type SchedulerLike } from 'rxjs';
import type { Destination, ErrorOutput } from '../destinations/Destination.js';
import type { Backoff } from '../retry/backoffDelayMs.js';
import { retryBatch, type RetryOutcome } from '../retry/retryBatch.js';
import type { DeliveryResult } from './DeliveryResult.js';
import { toFailureRecord } from './toFailureRecord.js';
import { UndeliverableRecordsError } from './UndeliverableRecordsError.js';

/** 24 h: how long writes to an error output are retried unless it says otherwise (Firehose's S3 rule). */
export const ERROR_OUTPUT_RETRY_DURATION_MS = 86_400_000;

/** Everything `deliverBatch` needs besides the batch; `deliverTo` and `teeBackup` build it once. */
export interface BatchDelivery<T> {
  readonly destination: Destination<T>;
  readonly errorOutput: ErrorOutput | undefined;
  readonly retryDurationMs: number;
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
  readonly sizeOf: (record: T) => number;
}

/**
 * Delivers one batch: attempts with retries at the destination, then, for what finally failed, failure
 * records to the error output (with its own retries). Emits one {@link DeliveryResult}, or errors with
 * {@link UndeliverableRecordsError} when records reached neither place. Unsubscribing aborts the attempt in
 * flight (its `signal`) and cancels pending retries.
 */
export function deliverBatch<T>(batch: readonly T[], batchId: string, how: BatchDelivery<T>): Observable<DeliveryResult<T>> {
  const { destination, errorOutput, scheduler } = how;
  return new Observable<DeliveryResult<T>>((subscriber) => {
    const abort = new AbortController();
    let settled = false;
    const startedAtMs = scheduler.now();
    let bytes = 0;
    for (const record of batch) bytes += how.sizeOf(record);
    const policy = { retryDurationMs: how.retryDurationMs, backoff: how.backoff, random: how.random, scheduler };

    const result = (outcome: RetryOutcome, failed: readonly T[], extra: Partial<DeliveryResult<T>> = {}): DeliveryResult<T> => ({
      status: failed.length === 0 ? 'delivered' : 'failed-to-error-output',
      destination: destination.name,
      batchId,
      records: batch,
      bytes,
      attempts: outcome.attempts,
      startedAtMs,
      durationMs: scheduler.now() - startedAtMs,
      ...(outcome.location === undefined ? {} : { location: outcome.location }),
      failed,
      ...extra,
    });

    const subscription = retryBatch(
      batch,
      (pending, attempt) => destination.deliver(pending, { attempt, batchId, scheduler, signal: abort.signal }),
      policy,
      destination.name,
    )
      .pipe(
        mergeMap((outcome) => {
          if (outcome.failed.size === 0) return of(result(outcome, []));
          const indexes = [...outcome.failed.keys()].sort((a, b) => a - b);
          const failedRecords = indexes.map((i) => batch[i]!);
          const last = outcome.failed.get(indexes[indexes.length - 1]!)!;
          if (errorOutput === undefined) {
            return throwError(() => new UndeliverableRecordsError(failedRecords, last.errorCode, last.errorMessage, destination.name));
          }
          const failures = indexes.map((i) =>
            toFailureRecord(batch[i], outcome.failed.get(i)!, startedAtMs, destination.failureFields?.(batch[i]!)),
          );
          const errorOutputType = destination.errorOutputType ?? `${destination.name}-failed`;
          return retryBatch(
            failures,
            (pending, attempt) =>
              errorOutput.writeFailures(pending, errorOutputType, { attempt, batchId: `${batchId}-failed`, scheduler, signal: abort.signal }),
            { ...policy, retryDurationMs: errorOutput.retryDurationMs ?? ERROR_OUTPUT_RETRY_DURATION_MS },
            errorOutput.name,
          ).pipe(
            map((written) => {
              if (written.failed.size > 0) {
                const lost = [...written.failed.keys()].map((i) => failedRecords[i]!);
                const why = written.failed.values().next().value!;
                throw new UndeliverableRecordsError(
                  lost,
                  why.errorCode,
                  `${why.errorMessage} (after ${destination.name} failed with ${last.errorCode}: ${last.errorMessage})`,
                  `${destination.name} or its error output ${errorOutput.name}`,
                );
              }
              return result(outcome, failedRecords, {
                ...(written.location === undefined ? {} : { errorLocation: written.location }),
                errorCode: last.errorCode,
                errorMessage: last.errorMessage,
              });
            }),
          );
        }),
      )
      .subscribe({
        next: (value) => subscriber.next(value),
        error: (err: unknown) => {
          settled = true;
          subscriber.error(err);
        },
        complete: () => {
          settled = true;
          subscriber.complete();
        },
      });

    return () => {
      subscription.unsubscribe();
      // Unsubscribed before the batch settled: cancel the request in flight.
      if (!settled) abort.abort();
    };
  });
}
