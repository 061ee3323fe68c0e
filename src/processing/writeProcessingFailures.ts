import { EMPTY, mergeMap, type Observable, type SchedulerLike } from 'rxjs';
import { writeToErrorOutput } from '../delivery/writeToErrorOutput.js';
import type { ErrorOutput } from '../destinations/Destination.js';
import { FIREHOSE_BACKOFF } from '../retry/backoffDelayMs.js';

/** Records a processor failed, each with why, and where their failure records go. */
export interface ProcessingFailures<T> {
  /** The processor, in failure records' messages, e.g. `Decompression`. */
  readonly stage: string;
  /** The error output type, e.g. `processing-failed`. */
  readonly errorOutputType: string;
  /** Stable id of this write across its retries. */
  readonly batchId: string;
  readonly records: readonly T[];
  /** Why `records[i]` failed. */
  readonly reasons: ReadonlyArray<{ readonly errorCode: string; readonly errorMessage: string }>;
  readonly errorOutput: ErrorOutput | undefined;
  readonly scheduler: SchedulerLike;
}

/**
 * Writes the failure records of what a processor failed (each tried once: a processor does not retry a bad
 * record), through the one failure-record writer (`writeToErrorOutput`, which retries the write itself and
 * settles the records as `failed`), and completes without a value once they are written. Without an error
 * output it errors with `UndeliverableRecordsError`. Shared by every processor, so failure records look alike.
 */
export function writeProcessingFailures<T>(failed: ProcessingFailures<T>, signal: AbortSignal): Observable<never> {
  const { scheduler } = failed;
  const now = scheduler.now();
  return writeToErrorOutput(
    {
      records: failed.records,
      failures: failed.reasons.map(({ errorCode, errorMessage }) => ({
        errorCode,
        errorMessage,
        attemptsMade: 1,
        attemptEndingTimestamp: now,
      })),
      stage: failed.stage,
      errorOutputType: failed.errorOutputType,
      batchId: failed.batchId,
      fallbackArrivalMs: now,
    },
    failed.errorOutput,
    { retryDurationMs: 0, backoff: FIREHOSE_BACKOFF, random: Math.random, scheduler },
    signal,
  ).pipe(mergeMap(() => EMPTY));
}
