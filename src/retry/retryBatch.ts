import { from, Observable, Subscription, timer, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { DeliveryAck } from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import { backoffDelayMs, type Backoff } from './backoffDelayMs.js';

/** When to stop retrying and how long to wait in between. */
export interface RetryPolicy {
  /** Retries start only while they start within this time after the first failure; 0 disables retries. */
  readonly retryDurationMs: number;
  /** Gives up after this many attempts in all, whatever the duration. Default: no limit. */
  readonly maxAttempts?: number | undefined;
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
}

/** An item that finally failed. */
export interface FinalFailure {
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Attempts that included this item. */
  readonly attemptsMade: number;
  /** `scheduler.now()` when the item's last attempt ended. */
  readonly attemptEndingTimestamp: number;
}

/** How a batch's attempts ended. */
export interface RetryOutcome {
  /** Attempts made in all. */
  readonly attempts: number;
  /** Every location the acknowledgements named, space-separated. */
  readonly location?: string;
  /** Index in the batch → why it finally failed. Empty when everything was acknowledged. */
  readonly failed: ReadonlyMap<number, FinalFailure>;
}

/** A failing attempt's error code and message, and whether it may be retried. */
function classify(err: unknown, namespace: string): { code: string; message: string; permanent: boolean } {
  if (err instanceof DeliveryError) return { code: err.code, message: err.message, permanent: err.permanent };
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; name?: unknown; message?: unknown };
  const raw = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return { code: raw.includes('.') ? raw : `${namespace}.${raw}`, message, permanent: false };
}

/**
 * Drives the attempts of one batch: calls `attemptOnce` with the items still pending, retries the whole
 * attempt on a retriable error and only the failed items on a partial failure, waits with exponential
 * backoff on the policy's scheduler, and gives up when a retry would start past the retry duration
 * (counted from the first failure) or the error is permanent. Emits one {@link RetryOutcome}, then completes.
 * Unsubscribing cancels the attempt in flight and any pending retry.
 */
export function retryBatch<T>(
  items: readonly T[],
  attemptOnce: (pending: readonly T[], attempt: number) => ObservableInput<DeliveryAck | void>,
  policy: RetryPolicy,
  namespace: string,
): Observable<RetryOutcome> {
  return new Observable<RetryOutcome>((subscriber) => {
    const { scheduler } = policy;
    let pending: number[] = items.map((_, i) => i);
    const failed = new Map<number, FinalFailure>();
    let attempts = 0;
    // Every location acknowledged, across attempts (a partial retry stores the rest elsewhere).
    const locations: string[] = [];
    let firstFailureAtMs: number | undefined;
    // Holds the attempt in flight or the pending retry timer. An attempt can settle synchronously and
    // schedule its retry before `subscribe` returns, so children are added, never assigned.
    const inFlight = new Subscription();

    const finish = (): void => {
      subscriber.next(locations.length === 0 ? { attempts, failed } : { attempts, location: locations.join(' '), failed });
      subscriber.complete();
    };

    const giveUp = (indexes: readonly number[], code: string, message: string): void => {
      const at = scheduler.now();
      for (const i of indexes) failed.set(i, { errorCode: code, errorMessage: message, attemptsMade: attempts, attemptEndingTimestamp: at });
    };

    // After a failure of `retry` (the items still pending), either waits and tries again or gives up.
    const retryOrGiveUp = (retry: number[], code: string, message: string): void => {
      const now = scheduler.now();
      firstFailureAtMs ??= now;
      const delayMs = backoffDelayMs(attempts, policy.backoff, policy.random);
      if (
        policy.retryDurationMs === 0 ||
        now + delayMs - firstFailureAtMs > policy.retryDurationMs ||
        attempts >= (policy.maxAttempts ?? Number.POSITIVE_INFINITY)
      ) {
        giveUp(retry, code, message);
        finish();
        return;
      }
      pending = retry;
      inFlight.add(timer(delayMs, scheduler).subscribe(() => attempt()));
    };

    const attempt = (): void => {
      if (pending.length === 0) {
        finish();
        return;
      }
      attempts++;
      const batch = pending.map((i) => items[i]!);
      let ack: DeliveryAck | void = undefined;
      let input: ObservableInput<DeliveryAck | void>;
      try {
        input = attemptOnce(batch, attempts);
      } catch (err) {
        onError(err);
        return;
      }
      inFlight.add(
        from(input).subscribe({
          next: (value) => (ack = value),
          error: (err: unknown) => onError(err),
          complete: () => onAck(ack),
        }),
      );
    };

    const onError = (err: unknown): void => {
      const { code, message, permanent } = classify(err, namespace);
      if (permanent) {
        giveUp(pending, code, message);
        finish();
      } else {
        retryOrGiveUp(pending, code, message);
      }
    };

    const onAck = (ack: DeliveryAck | void): void => {
      if (ack?.location !== undefined && ack.location !== '') locations.push(ack.location);
      const itemFailures = ack?.failed ?? [];
      if (itemFailures.length === 0) {
        finish();
        return;
      }
      const retry: number[] = [];
      let last = itemFailures[0]!;
      for (const f of itemFailures) {
        const original = pending[f.index];
        if (original === undefined || !Number.isInteger(f.index)) {
          subscriber.error(new RangeError(`${namespace}: a partial failure names item ${f.index}, but the attempt had ${pending.length} item(s)`));
          return;
        }
        if (f.retriable === false) giveUp([original], f.errorCode, f.errorMessage);
        else {
          retry.push(original);
          last = f;
        }
      }
      if (retry.length === 0) finish();
      else retryOrGiveUp(retry, last.errorCode, last.errorMessage);
    };

    attempt();
    return inFlight;
  });
}
