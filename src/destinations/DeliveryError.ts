import type { DeliveryErrorKind } from './Destination.js';

/**
 * A failed send, as a destination reports it: an error code (Firehose's vocabulary, e.g.
 * `S3.AccessDenied`, `HttpEndpoint.DestinationException`) and its kind:
 *
 * - `throttled`: the destination asked us to slow down (HTTP 429, `SlowDown`): retried with backoff;
 * - `transient`: anything that may pass (a reset connection, a 500, a timeout): retried with backoff;
 * - `permanent`: retrying the same request cannot help (bad credentials, payload too large): the records
 *   go to the error output at once.
 *
 * Destinations throw it (or reject with it) from `send`. Any other error counts as `transient`, with its
 * `code` or `name` as the error code, unless it carries the AWS SDK's `$retryable.throttling` flag.
 *
 * ## Example
 * ```ts
 * import { DeliveryError } from 'rx-firehose';
 * throw new DeliveryError('Webhook.PayloadTooLarge', 'the endpoint answered 413', { kind: 'permanent' });
 * ```
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** How retrying can help: `throttled`, `transient` or `permanent`. */
  readonly kind: DeliveryErrorKind;

  constructor(
    readonly code: string,
    message: string,
    /** `kind` (default `transient`); `permanent: true` is the same as `kind: 'permanent'`. */
    options: { kind?: DeliveryErrorKind; permanent?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind ?? (options.permanent === true ? 'permanent' : 'transient');
  }

  /** `true` when retrying cannot help (`kind === 'permanent'`). */
  get permanent(): boolean {
    return this.kind === 'permanent';
  }
}
