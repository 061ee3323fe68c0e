import { map, mergeMap, Observable, of, type SchedulerLike } from 'rxjs';
import type { LegacyDestination, ErrorOutput } from '../destinations/Destination.js';
import type { Backoff } from '../retry/backoffDelayMs.js';
import { retryBatch, type RetryOutcome } from '../retry/retryBatch.js';
import type { DeliveryResult } from './DeliveryResult.js';
import { writeToErrorOutput } from './writeToErrorOutput.js';

/** Everything `deliverBatch` needs besides the batch; `deliverTo` and `teeBackup` build it once. */
export interface BatchDelivery<T> {
  readonly destination: LegacyDestination<T>;
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
    for (const record of batch) {
      // A record that cannot be measured counts as 0 bytes here; the destination refuses it, and it ends
      // in the error output like any other failed record.
      try {
        bytes += how.sizeOf(record);
      } catch {
        // measured as 0
      }
    }
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
          const indexes = [...outcome.failed.keys()].sort((x, y) => x - y);
          const failedRecords = indexes.map((i) => batch[i]!);
          const failures = indexes.map((i) => outcome.failed.get(i)!);
          const last = failures[failures.length - 1]!;
          return writeToErrorOutput(
            {
              records: failedRecords,
              failures,
              stage: destination.name,
              errorOutputType: destination.errorOutputType ?? `${destination.name}-failed`,
              batchId: `${batchId}-failed`,
              fallbackArrivalMs: startedAtMs,
              extraFields: destination.failureFields?.bind(destination),
            },
            errorOutput,
            policy,
            abort.signal,
          ).pipe(map((written) => result(outcome, failedRecords, { ...written, errorCode: last.errorCode, errorMessage: last.errorMessage })));
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
