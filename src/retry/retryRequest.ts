import { from, Observable, Subscription, timer, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { DeliveryRequest, ItemFailure, SendOutcome } from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import { errorKindOf } from '../destinations/errorKindOf.js';
import { SlotClaim } from '../delivery/Slots.js';
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
  /** Attempts made when the item was given up. */
  readonly attemptsMade: number;
  /** `scheduler.now()` when the item's last attempt ended. */
  readonly attemptEndingTimestamp: number;
}

/** How a request's sends ended. */
export interface RequestOutcome {
  /** Sends made in all (a resend after a lost acknowledgement counts). */
  readonly attempts: number;
  /** Every location the accepted sends named, space-separated. */
  readonly location?: string | undefined;
  /** Item (the request's `items` values) → why it finally failed. Empty when everything was accepted. */
  readonly failed: ReadonlyMap<number, FinalFailure>;
}

/** The slots a send needs in `deliverTo`: a send slot held while sending, an acknowledgement slot while an acknowledgement is pending. */
export interface SendSlots {
  readonly send: SlotClaim;
  readonly ack: SlotClaim;
  /** How long an acknowledgement may take before the request is sent again. */
  readonly ackTimeoutMs: number;
}

/** A failing send's error code and message, and its kind. */
function classify(err: unknown, namespace: string): { code: string; message: string; permanent: boolean } {
  if (err instanceof DeliveryError) return { code: err.code, message: err.message, permanent: err.permanent };
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; name?: unknown; message?: unknown };
  const raw = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return { code: raw.includes('.') ? raw : `${namespace}.${raw}`, message, permanent: errorKindOf(err) === 'permanent' };
}

/**
 * The one retry loop: sends a built request, and sends the very same request object again (same bytes,
 * same ids) after a throttled or transient error, or the smaller request of a partial outcome; waits with
 * exponential backoff on the policy's scheduler; gives up when a retry would start past the retry duration
 * (counted from the first failure), after `maxAttempts`, or at a permanent error. Emits one
 * {@link RequestOutcome}, then completes.
 *
 * With `slots` (in `deliverTo`), the send slot must be held before the first send and stays held through
 * backoff; an accepted send with a pending acknowledgement takes an acknowledgement slot, then frees the
 * send slot; an acknowledgement that errors or does not come within `ackTimeoutMs` frees its slot and the
 * request is sent again once a send slot is free. Unsubscribing cancels the send in flight (the caller
 * aborts its signal), a pending retry and a pending acknowledgement.
 *
 * ```
 *   ┌────────────── retry (backoff) ◀── error / partial / ack lost ──┐
 *   ▼                                                                 │
 * send ──▶ accepted ──(acknowledgement?)──▶ awaiting ack ──▶ done     │
 *   │           └────────────────────────────────────────────▶ done   │
 *   └──────────────────────────────────────────────────────────────────┘
 * ```
 */
export function retryRequest<R extends DeliveryRequest>(
  request: R,
  send: (request: R, attempt: number) => ObservableInput<SendOutcome<R>>,
  policy: RetryPolicy,
  namespace: string,
  slots?: SendSlots,
): Observable<RequestOutcome> {
  return new Observable<RequestOutcome>((subscriber) => {
    const { scheduler } = policy;
    let current = request;
    const failed = new Map<number, FinalFailure>();
    let attempts = 0;
    const locations: string[] = [];
    let firstFailureAtMs: number | undefined;
    // The send, backoff timer or acknowledgement in flight. An attempt can end synchronously and schedule
    // its retry before `subscribe` returns, so children are added, never assigned.
    const inFlight = new Subscription();
    let done = false;

    const finish = (): void => {
      done = true;
      subscriber.next(locations.length === 0 ? { attempts, failed } : { attempts, location: locations.join(' '), failed });
      subscriber.complete();
    };

    const giveUp = (items: readonly number[], code: string, message: string): void => {
      const at = scheduler.now();
      for (const i of items) failed.set(i, { errorCode: code, errorMessage: message, attemptsMade: attempts, attemptEndingTimestamp: at });
    };

    const retryOrGiveUp = (retry: R, code: string, message: string): void => {
      const now = scheduler.now();
      firstFailureAtMs ??= now;
      const delayMs = backoffDelayMs(attempts, policy.backoff, policy.random);
      if (
        policy.retryDurationMs === 0 ||
        now + delayMs - firstFailureAtMs > policy.retryDurationMs ||
        attempts >= (policy.maxAttempts ?? Number.POSITIVE_INFINITY)
      ) {
        giveUp(retry.items, code, message);
        finish();
        return;
      }
      current = retry;
      inFlight.add(timer(delayMs, scheduler).subscribe(() => (slots === undefined ? attempt() : slots.send.take(attempt))));
    };

    const attempt = (): void => {
      if (current.items.length === 0) {
        finish();
        return;
      }
      attempts++;
      let outcome: SendOutcome<R> | undefined;
      let input: ObservableInput<SendOutcome<R>>;
      try {
        input = send(current, attempts);
      } catch (err) {
        onError(err);
        return;
      }
      const sent = current;
      let answered = false;
      inFlight.add(
        from(input).subscribe({
          next: (value) => {
            if (answered) return;
            answered = true;
            outcome = value;
          },
          error: (err: unknown) => onError(err),
          complete: () => {
            if (outcome === undefined) onError(new DeliveryError(`${namespace}.NoOutcome`, 'the send completed without an outcome'));
            else if (outcome.status === 'partial') onPartial(sent, outcome.failed, outcome.retry, outcome.location);
            else onAccepted(outcome.location, outcome.acknowledgement);
          },
        }),
      );
    };

    const onError = (err: unknown): void => {
      const { code, message, permanent } = classify(err, namespace);
      if (permanent) {
        giveUp(current.items, code, message);
        finish();
      } else retryOrGiveUp(current, code, message);
    };

    const onAccepted = (location: string | undefined, acknowledgement: ObservableInput<unknown> | undefined): void => {
      if (acknowledgement === undefined) {
        if (location !== undefined && location !== '') locations.push(location);
        finish();
        return;
      }
      const awaitAck = (): void => {
        slots?.send.give();
        let acknowledged = false;
        const ack = new Subscription();
        const settle = (then: () => void): void => {
          if (acknowledged || done) return;
          acknowledged = true;
          ack.unsubscribe();
          slots?.ack.give();
          then();
        };
        const acceptedLocation = (): void => {
          if (location !== undefined && location !== '') locations.push(location);
          finish();
        };
        inFlight.add(ack);
        ack.add(
          from(acknowledgement).subscribe({
            next: () => settle(acceptedLocation),
            error: (err: unknown) => settle(() => onError(err)),
            complete: () => settle(acceptedLocation),
          }),
        );
        if (slots !== undefined && !acknowledged) {
          ack.add(
            timer(slots.ackTimeoutMs, scheduler).subscribe(() =>
              settle(() =>
                onError(
                  new DeliveryError(`${namespace}.AckTimeout`, `no acknowledgement within ${slots.ackTimeoutMs} ms of the accepted send`),
                ),
              ),
            ),
          );
        }
      };
      // The send slot is held until an acknowledgement slot is free: pending acknowledgements stay bounded.
      if (slots === undefined) awaitAck();
      else slots.ack.take(awaitAck);
    };

    const onPartial = (sent: R, itemFailures: readonly ItemFailure[], retry: R | undefined, location: string | undefined): void => {
      if (location !== undefined && location !== '') locations.push(location);
      const retried = new Set(retry?.items);
      const sentItems = new Set(sent.items);
      let last: ItemFailure | undefined;
      for (const f of itemFailures) {
        if (!sentItems.has(f.index)) {
          subscriber.error(new RangeError(`${namespace}: a partial outcome names item ${f.index}, which the request did not carry`));
          return;
        }
        if (retried.has(f.index) && f.retriable !== false) last = f;
        else giveUp([f.index], f.errorCode, f.errorMessage);
      }
      if (retry === undefined || retry.items.length === 0) {
        finish();
        return;
      }
      for (const i of retry.items) {
        if (!sentItems.has(i)) {
          subscriber.error(new RangeError(`${namespace}: a partial outcome retries item ${i}, which the request did not carry`));
          return;
        }
      }
      retryOrGiveUp(retry, last?.errorCode ?? `${namespace}.PartialFailure`, last?.errorMessage ?? 'some items were not accepted');
    };

    if (slots === undefined) attempt();
    else slots.send.take(attempt);
    return () => {
      done = true;
      inFlight.unsubscribe();
    };
  });
}
