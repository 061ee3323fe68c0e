/** The error types of Firehose's API that rx-firehose answers with (the wire's `__type`). */
export type FirehoseErrorType =
  | 'InvalidArgumentException'
  | 'LimitExceededException'
  | 'ResourceInUseException'
  | 'ResourceNotFoundException'
  | 'ServiceUnavailableException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException'
  | 'InternalFailure';

const STATUS: Readonly<Record<FirehoseErrorType, number>> = {
  InvalidArgumentException: 400,
  LimitExceededException: 400,
  ResourceInUseException: 400,
  ResourceNotFoundException: 400,
  ServiceUnavailableException: 503,
  SerializationException: 400,
  UnknownOperationException: 400,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  InternalFailure: 500,
};

/**
 * An answer of Firehose's API that is an error: its type (`ResourceNotFoundException`, …) and message,
 * as an AWS SDK client would see them. Thrown by the in-process direct-PUT API and the delivery stream
 * registry; the API server sends it as `{"__type": type, "message": message}` with {@link FirehoseApiError.status}.
 *
 * ## Example
 * ```ts
 * import { FirehoseApiError } from 'rx-firehose';
 *
 * try {
 *   await stream.putRecord({ Data: payload });
 * } catch (err) {
 *   if (err instanceof FirehoseApiError && err.type === 'ServiceUnavailableException') await backOff();
 * }
 * ```
 */
export class FirehoseApiError extends Error {
  override readonly name = 'FirehoseApiError';

  constructor(
    /** The error's type as Firehose names it, e.g. `ResourceNotFoundException`. */
    readonly type: FirehoseErrorType,
    message: string,
  ) {
    super(message);
  }

  /** The HTTP status the API answers this error with: 503 for `ServiceUnavailableException`, 5xx/4xx otherwise. */
  get status(): number {
    return STATUS[this.type];
  }
}
