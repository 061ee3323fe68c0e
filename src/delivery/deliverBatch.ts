import { from, isObservable, Observable, Subscription, take, tap, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { BuiltRequest, Destination, ErrorOutput } from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import type { Backoff } from '../retry/backoffDelayMs.js';
import { retryRequest, type FinalFailure, type RetryPolicy } from '../retry/retryRequest.js';
import type { Settlement } from '../settlement/Settlement.js';
import type { AttemptFailure } from './batchDelivery.js';
import type { DeliveryResult } from './DeliveryResult.js';
import { settleRecords } from './settleRecords.js';
import { SlotClaim, type Slots } from './Slots.js';
import { writeToErrorOutput } from './writeToErrorOutput.js';

/** 300 s: how long a batch is retried unless the destination or the options say otherwise. */
export const DEFAULT_RETRY_DURATION_MS = 300_000;
/** 180 s: how long an accepted send waits for its acknowledgement (Firehose's default for Splunk) unless told otherwise. */
export const DEFAULT_ACK_TIMEOUT_MS = 180_000;

/** Everything `deliverBatch` needs besides the batch; `deliverTo` and `teeBackup` build it once per subscription. */
export interface BatchDelivery {
  readonly destination: Destination;
  readonly errorOutput: ErrorOutput | undefined;
  /** `deliverTo`'s `retryDurationMs`: overrides the first stage's, and is the default of later stages. */
  readonly retryDurationMs: number | undefined;
  /** `deliverTo`'s `ackTimeoutMs`: overrides every stage's. */
  readonly ackTimeoutMs: number | undefined;
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
  /** Send slots (`concurrency`) and acknowledgement slots (`maxPendingAcks`), shared by the batches of one subscription. */
  readonly sendSlots: Slots;
  readonly ackSlots: Slots;
  /** `deliverTo`'s `onAttemptFailed`. */
  readonly onAttemptFailed: ((failure: AttemptFailure) => void) | undefined;
}

/** A batch as the engine takes it: the records, their total size, and how to reach each record's settlement. */
export interface EngineBatch<T> {
  readonly records: readonly T[];
  readonly bytes: number;
  readonly batchId: string;
  /** The settlement of record `index`, which the engine settles once the batch is done. Default: the one attached to the record. */
  readonly settlementAt?: ((index: number) => Settlement | undefined) | undefined;
  /** Told of the result, with the indexes of the records that failed, just before it is emitted (for metrics). */
  readonly report?: ((result: DeliveryResult<T>, failedIndexes: ReadonlySet<number>) => void) | undefined;
}

/**
 * Delivers one batch through the destination's stages: per stage, builds the request once (inside a send
 * slot), drives it with {@link retryRequest}, writes what finally failed to the stage's error output, and
 * hands what was delivered to the next stage. When the last stage is done, settles every record (the one
 * place where records settle: `delivered`, or `failed` once their failure records are written) and emits
 * one {@link DeliveryResult}. Errors with `UndeliverableRecordsError` when records reached neither place
 * (they stay unsettled, so a replayable source reads them again). Unsubscribing aborts the build or send
 * in flight (its `signal`), a pending retry or acknowledgement, and gives back the slots.
 */
export function deliverBatch<T>(batch: EngineBatch<T>, how: BatchDelivery): Observable<DeliveryResult<T>> {
  return new Observable<DeliveryResult<T>>((subscriber) => {
    const { records, batchId } = batch;
    const { scheduler } = how;
    const abort = new AbortController();
    const work = new Subscription();
    const send = new SlotClaim(how.sendSlots);
    const ack = new SlotClaim(how.ackSlots);
    let done = false;
    let startedAtMs = 0;
    let attempts = 0;
    let location: string | undefined;
    const errorLocations: string[] = [];
    // Batch index → why it failed, across stages: the one record of what failed (no index → record → Set).
    const failed = new Map<number, FinalFailure>();
    let lastFailure: FinalFailure | undefined;

    const fail = (err: unknown): void => {
      done = true;
      subscriber.error(err);
    };

    const runStage = (
      stage: Destination,
      indexes: readonly number[] | undefined,
      stageNumber: number,
      previousLocation: string | undefined,
    ): void => {
      // Stage 1 sees the batch itself; a later stage sees the records the previous stage delivered.
      const stageRecords = indexes === undefined ? records : indexes.map((i) => records[i]);
      const toBatchIndex = (i: number): number => (indexes === undefined ? i : indexes[i]!);
      const stageId = stageNumber === 1 ? batchId : `${batchId}-stage${stageNumber}`;
      const policy: RetryPolicy = {
        retryDurationMs:
          stageNumber === 1
            ? (how.retryDurationMs ?? stage.retryDurationMs ?? DEFAULT_RETRY_DURATION_MS)
            : (stage.retryDurationMs ?? how.retryDurationMs ?? DEFAULT_RETRY_DURATION_MS),
        backoff: how.backoff,
        random: how.random,
        scheduler,
      };
      const stageFailed = new Map<number, FinalFailure>();

      const afterSends = (stageLocation: string | undefined): void => {
        if (stageLocation !== undefined) location = stageLocation;
        if (stageFailed.size === 0) {
          next(stageLocation);
          return;
        }
        const order = [...stageFailed.keys()].sort((a, b) => a - b);
        const failures = order.map((i) => stageFailed.get(i)!);
        work.add(
          writeToErrorOutput(
            {
              records: order.map((i) => records[i]!),
              failures,
              stage: stage.name,
              errorOutputType: stage.errorOutputType ?? `${stage.name}-failed`,
              batchId: `${stageId}-failed`,
              fallbackArrivalMs: startedAtMs,
              extraFields: stage.failureFields?.bind(stage),
              // Settled with the whole batch in `finish`, in batch order, once the last stage is done too.
              settlementAt: () => undefined,
            },
            stage.errorOutput ?? how.errorOutput,
            { ...policy, maxAttempts: undefined },
            abort.signal,
          ).subscribe({
            next: (written) => {
              if (written.errorLocation !== undefined) errorLocations.push(written.errorLocation);
              for (const [i, f] of stageFailed) failed.set(i, f);
              lastFailure = failures[failures.length - 1];
            },
            error: fail,
            complete: () => next(stageLocation),
          }),
        );
      };

      const next = (stageLocation: string | undefined): void => {
        if (stage.nextStage === undefined) {
          finish(); // the last stage: no list of what it delivered to make (per record, per batch)
          return;
        }
        const delivered = (indexes ?? records.map((_r, i) => i)).filter((i) => !stageFailed.has(i));
        if (delivered.length === 0) finish();
        else send.take(() => runStage(stage.nextStage!, delivered, stageNumber + 1, stageLocation));
      };

      const onBuilt = (built: BuiltRequest): void => {
        const at = scheduler.now();
        for (const f of built.failed ?? []) {
          stageFailed.set(toBatchIndex(f.index), {
            errorCode: f.errorCode,
            errorMessage: f.errorMessage,
            attemptsMade: 1,
            attemptEndingTimestamp: at,
          });
        }
        const request = built.request;
        if (request === undefined || request.items.length === 0) {
          attempts = Math.max(attempts, 1);
          afterSends(undefined);
          return;
        }
        work.add(
          retryRequest(
            request,
            (r, attempt) => {
              const told = how.onAttemptFailed;
              if (told === undefined) return stage.send(r, { attempt, batchId: stageId, scheduler, signal: abort.signal });
              const tell = (error: unknown): void => {
                if (!abort.signal.aborted) told({ destination: stage.name, batchId: stageId, attempt, error });
              };
              let sent: ReturnType<typeof stage.send>;
              try {
                sent = stage.send(r, { attempt, batchId: stageId, scheduler, signal: abort.signal });
              } catch (error) {
                tell(error);
                throw error;
              }
              return isObservableInput(sent) ? from(sent).pipe(tap({ error: tell })) : sent;
            },
            policy,
            stage.name,
            { send, ack, ackTimeoutMs: how.ackTimeoutMs ?? stage.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS },
          ).subscribe({
            next: (outcome) => {
              attempts += outcome.attempts;
              for (const [i, f] of outcome.failed) stageFailed.set(toBatchIndex(i), f);
              afterSends(outcome.location);
            },
            error: fail,
          }),
        );
      };

      const buildFailed = (err: unknown): void => {
        // A builder that throws cannot make a request of these records: they go to the error output.
        const message = (err as Error)?.message ?? String(err);
        const code = err instanceof DeliveryError ? err.code : `${stage.name}.BuildFailed`;
        onBuilt({ failed: stageRecords.map((_r, index) => ({ index, errorCode: code, errorMessage: message, retriable: false })) });
      };

      let result: ObservableInput<BuiltRequest> | BuiltRequest;
      try {
        result = stage.build(stageRecords, { batchId: stageId, scheduler, signal: abort.signal, previousLocation });
      } catch (err) {
        buildFailed(err);
        return;
      }
      if (!isObservableInput(result)) {
        onBuilt(result);
        return;
      }
      let built: BuiltRequest | undefined;
      work.add(
        from(result)
          .pipe(take(1))
          .subscribe({
            next: (value) => (built = value),
            error: (err: unknown) => (abort.signal.aborted ? undefined : buildFailed(err)),
            complete: () =>
              built === undefined ? buildFailed(new Error('the request builder completed without a request')) : onBuilt(built),
          }),
      );
    };

    const finish = (): void => {
      done = true;
      // Every record once, after the last stage or the error output.
      settleRecords(records, 'delivered', batch.settlementAt, (i) => (failed.has(i) ? 'failed' : 'delivered'));
      const failedIndexes = failed.size === 0 ? [] : [...failed.keys()].sort((a, b) => a - b);
      const result: DeliveryResult<T> = {
        status: failed.size === 0 ? 'delivered' : 'failed-to-error-output',
        destination: how.destination.name,
        batchId,
        records,
        bytes: batch.bytes,
        attempts,
        startedAtMs,
        durationMs: scheduler.now() - startedAtMs,
        ...(location === undefined ? {} : { location }),
        failed: failedIndexes.map((i) => records[i]!),
        ...(errorLocations.length === 0 ? {} : { errorLocation: errorLocations.join(' ') }),
        ...(lastFailure === undefined ? {} : { errorCode: lastFailure.errorCode, errorMessage: lastFailure.errorMessage }),
      };
      batch.report?.(result, new Set(failed.keys()));
      subscriber.next(result);
      subscriber.complete();
    };

    send.take(() => {
      startedAtMs = scheduler.now();
      runStage(how.destination, undefined, 1, undefined);
    });

    return () => {
      work.unsubscribe();
      // Unsubscribed before the batch was done: cancel what is in flight.
      if (!done) abort.abort();
      // Given back after the result went out (teardown follows completion), so the next batch starts after it.
      ack.give();
      send.give();
    };
  });
}

function isObservableInput<V>(value: ObservableInput<V> | V): value is ObservableInput<V> {
  if (typeof value !== 'object' || value === null) return false;
  return (
    isObservable(value) ||
    typeof (value as { then?: unknown }).then === 'function' ||
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function' ||
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}
