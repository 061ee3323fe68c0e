import type { SchedulerLike } from 'rxjs';
import { backoffDelayMs, type Backoff } from '../../retry/backoffDelayMs.js';
import { errorKindOf } from './errorKindOf.js';
import { KinesisSourceError, type KinesisSourceOperation } from './KinesisSourceError.js';
import { sleep } from './sleep.js';

/** How a call is retried, and where it stops. */
export interface RetryContext {
  readonly streamName: string;
  readonly scheduler: SchedulerLike;
  readonly backoff: Backoff;
  readonly random: () => number;
  /** Aborted when the source stops: no more attempts, no more waiting. */
  readonly signal: AbortSignal;
  /** Told of each transient failure before it is retried (not of throttles: see the metrics). */
  readonly onRetry?: ((error: KinesisSourceError, attempt: number) => void) | undefined;
}

/** Returned instead of a result when the source stopped before the call succeeded. */
export const STOPPED: unique symbol = Symbol('stopped');

/**
 * Calls `call` until it succeeds: throttles and transient errors are retried forever with capped backoff (as
 * Firehose retries its reads; each transient one told to `onRetry`), a permanent error throws
 * {@link KinesisSourceError}. Resolves to
 * {@link STOPPED} once `signal` is aborted.
 */
export async function callWithRetries<T>(
  operation: KinesisSourceOperation,
  shardId: string | undefined,
  call: () => Promise<T>,
  context: RetryContext,
  onThrottled?: () => void,
): Promise<T | typeof STOPPED> {
  for (let retry = 1; ; retry++) {
    if (context.signal.aborted) return STOPPED;
    try {
      return await call();
    } catch (err) {
      if (context.signal.aborted) return STOPPED;
      const kind = errorKindOf(err);
      if (kind === 'permanent') throw new KinesisSourceError(operation, context.streamName, shardId, err);
      if (kind === 'throttled') onThrottled?.();
      else context.onRetry?.(new KinesisSourceError(operation, context.streamName, shardId, err), retry);
      await sleep(backoffDelayMs(retry, context.backoff, context.random), context.scheduler, context.signal);
    }
  }
}
