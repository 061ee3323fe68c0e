import type { DeliveryErrorKind } from './Destination.js';
import { DeliveryError } from './DeliveryError.js';

/**
 * The kind of a send's error: a {@link DeliveryError}'s own `kind`; `throttled` for an AWS SDK error flagged
 * `$retryable.throttling`; otherwise `transient` (an unknown error is worth a retry: the retry duration
 * bounds it).
 *
 * ## Example
 * ```ts
 * import { DeliveryError, errorKindOf } from 'rx-firehose';
 * errorKindOf(new DeliveryError('S3.SlowDown', 'slow down', { kind: 'throttled' })); // 'throttled'
 * errorKindOf(new Error('socket hang up')); // 'transient'
 * ```
 */
export function errorKindOf(err: unknown): DeliveryErrorKind {
  if (err instanceof DeliveryError) return err.kind;
  if ((err as { $retryable?: { throttling?: unknown } } | null)?.$retryable?.throttling === true) return 'throttled';
  return 'transient';
}
