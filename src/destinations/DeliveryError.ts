/**
 * A failed delivery attempt, as a destination reports it: an error code (Firehose's vocabulary, e.g.
 * `S3.AccessDenied`, `HttpEndpoint.DestinationException`) and whether retrying can help.
 *
 * Destinations throw it (or reject with it) from `deliver`. Any other error counts as retriable, with its
 * `code` or `name` as the error code.
 *
 * ## Example
 * ```ts
 * import { DeliveryError } from 'rx-firehose';
 * throw new DeliveryError('Webhook.PayloadTooLarge', 'the endpoint answered 413', { permanent: true });
 * ```
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** `true` when retrying cannot help (bad credentials, payload too large): the batch goes to the error output at once. */
  readonly permanent: boolean;

  constructor(
    readonly code: string,
    message: string,
    options: { permanent?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent ?? false;
  }
}
