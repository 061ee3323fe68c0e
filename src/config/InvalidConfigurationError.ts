/**
 * Thrown synchronously by {@link deliveryStreamFromConfig} for a Firehose configuration it cannot run: a
 * field or value rx-firehose does not support yet, a value out of Firehose's range, or a configuration the
 * Firehose API itself would refuse.
 *
 * `field` is the path of the field in the `CreateDeliveryStream` input, for example
 * `ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs`; the message starts with it, names the value
 * and what is allowed:
 *
 * ```text
 * ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs must be an integer from 1 to 128 (MiB); got 500
 * ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration is not supported yet
 * ```
 *
 * ## Example
 * ```ts
 * import { deliveryStreamFromConfig, InvalidConfigurationError } from 'rx-firehose';
 *
 * try {
 *   deliveryStreamFromConfig(input, { dataDir: './firehose-data' });
 * } catch (err) {
 *   if (err instanceof InvalidConfigurationError) console.error(`fix ${err.field}: ${err.message}`);
 *   else throw err;
 * }
 * ```
 */
export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
  constructor(
    /** The path of the offending field, e.g. `ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs`. */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** `<field> is not supported yet` (with an optional detail after a colon). */
  static unsupported(field: string, detail?: string): InvalidConfigurationError {
    return new InvalidConfigurationError(field, `${field} is not supported yet${detail === undefined ? '' : `: ${detail}`}`);
  }

  /** `<field> must be <allowed>; got <value>`. */
  static invalid(field: string, value: unknown, allowed: string): InvalidConfigurationError {
    return new InvalidConfigurationError(field, `${field} must be ${allowed}; got ${show(value)}`);
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
