import { InvalidOptionError } from '../errors/InvalidOptionError.js';

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** Firehose's `DeliveryStreamName` rule, in words. */
export const STREAM_NAME_RULE = '1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"';

/**
 * Returns `value` when it is a valid Firehose stream name; otherwise throws {@link InvalidOptionError}
 * naming the component, the option and the value.
 *
 * Firehose's API model allows 1 to 64 characters of `[a-zA-Z0-9_.-]` in `DeliveryStreamName`. The name is the
 * first part of every S3 object name, so validating it at construction keeps the keys well-formed.
 *
 * ## Example
 * ```ts
 * import { checkStreamName } from 'rx-firehose';
 *
 * checkStreamName('s3Destination', 'streamName', 'clicks-prod'); // 'clicks-prod'
 * checkStreamName('s3Destination', 'streamName', 'clicks/prod');
 * // throws InvalidOptionError: s3Destination: streamName must be 1 to 64 characters of a–z, A–Z, 0–9, "_",
 * // "." and "-"; got "clicks/prod"
 * ```
 *
 * @param component The operator, source or destination checking the name, for the message.
 * @param option The option's name, for the message, e.g. `streamName`.
 * @param value The value to check.
 * @returns `value`, typed as a string.
 */
export function checkStreamName(component: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !STREAM_NAME.test(value)) {
    throw new InvalidOptionError(component, option, value, STREAM_NAME_RULE);
  }
  return value;
}
