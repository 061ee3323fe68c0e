import { catchError, defer, map, mergeMap, of, throwError, type Observable } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import { builtRequestOf } from './builtRequestOf.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import { retryRequest, type FinalFailure, type RetryPolicy } from '../retry/retryRequest.js';
import type { Settlement } from '../settlement/Settlement.js';
import { settleRecords } from './settleRecords.js';
import { toFailureRecord } from './toFailureRecord.js';
import { UndeliverableRecordsError } from './UndeliverableRecordsError.js';

/** 24 h: how long writes to an error output are retried unless it says otherwise (Firehose's S3 rule). */
export const ERROR_OUTPUT_RETRY_DURATION_MS = 86_400_000;

/** What failed, and where its failure records go. */
export interface FailedRecords<T> {
  /** The records that finally failed, each with why. */
  readonly records: readonly T[];
  readonly failures: readonly FinalFailure[];
  /** Who failed them, e.g. `S3` or `Lambda`, for error messages. */
  readonly stage: string;
  /** The error output type, e.g. `processing-failed`. */
  readonly errorOutputType: string;
  /** Stable id of this write across its retries. */
  readonly batchId: string;
  /** Arrival time for records that carry none. */
  readonly fallbackArrivalMs: number;
  /** Stage-specific fields of each failure record (e.g. `lambdaArn`). */
  readonly extraFields?: ((record: T) => Readonly<Record<string, unknown>> | undefined) | undefined;
  /** The settlement of `records[i]`, when it is not the one attached to the record (a `teeBackup` part). */
  readonly settlementAt?: ((index: number) => Settlement | undefined) | undefined;
}

/**
 * Writes Firehose failure records for `failed` to `errorOutput`: builds the write once
 * (`buildFailures`), then sends that request, resending the same request after a failure within the error
 * output's retry duration (default 24 h), then settles the records as `failed` (the engine's settlement path: whoever
 * fails records hands them here and never settles them itself). Emits where they went, or errors with
 * {@link UndeliverableRecordsError} carrying the records that reached neither place, unsettled: when there
 * is no error output, or when it finally failed too. The one place where failures leave a pipeline.
 */
export function writeToErrorOutput<T>(
  failed: FailedRecords<T>,
  errorOutput: ErrorOutput | undefined,
  policy: RetryPolicy,
  signal: AbortSignal,
): Observable<{ errorLocation?: string }> {
  const last = failed.failures[failed.failures.length - 1]!;
  if (errorOutput === undefined) {
    return throwError(() => new UndeliverableRecordsError(failed.records, last.errorCode, last.errorMessage, failed.stage));
  }
  const { scheduler } = policy;
  const batchId = failed.batchId;
  const lostTo = (indexes: readonly number[], why: { errorCode: string; errorMessage: string }): UndeliverableRecordsError =>
    new UndeliverableRecordsError(
      indexes.map((i) => failed.records[i]!),
      why.errorCode,
      `${why.errorMessage} (after ${failed.stage} failed with ${last.errorCode}: ${last.errorMessage})`,
      `${failed.stage} or its error output ${errorOutput.name}`,
    );
  return defer(() => {
    const records = failed.failures.map((f, i) =>
      toFailureRecord(failed.records[i], f, failed.fallbackArrivalMs, failed.extraFields?.(failed.records[i]!)),
    );
    // Built once: every retry resends this request's bytes (a compressed object is never compressed again).
    const built = errorOutput.buildFailures(records, failed.errorOutputType, { batchId, scheduler, signal });
    return builtRequestOf(built).pipe(
      catchError((err: unknown) => {
        throw lostTo(
          records.map((_r, i) => i),
          err instanceof DeliveryError
            ? { errorCode: err.code, errorMessage: err.message }
            : { errorCode: `${errorOutput.name}.BuildFailed`, errorMessage: (err as Error)?.message ?? String(err) },
        );
      }),
      mergeMap(({ request, failed: refused }) => {
        if (refused !== undefined && refused.length > 0)
          throw lostTo(
            refused.map((f) => f.index),
            refused[0]!,
          );
        if (request === undefined) return of({} as { errorLocation?: string });
        return retryRequest(
          request,
          (r, attempt) => errorOutput.send(r, { attempt, batchId, scheduler, signal }),
          { ...policy, retryDurationMs: errorOutput.retryDurationMs ?? ERROR_OUTPUT_RETRY_DURATION_MS, maxAttempts: undefined },
          errorOutput.name,
        ).pipe(
          map((written) => {
            if (written.failed.size > 0) throw lostTo([...written.failed.keys()], written.failed.values().next().value!);
            settleRecords(failed.records, 'failed', failed.settlementAt);
            return written.location === undefined ? {} : { errorLocation: written.location };
          }),
        );
      }),
    );
  });
}
