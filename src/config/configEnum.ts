import { InvalidConfigurationError } from './InvalidConfigurationError.js';

/**
 * Reads a field whose value is one of Firehose's enumerated values. Values rx-firehose runs are in
 * `supported` (the first is the default when the field is absent); values Firehose defines that rx-firehose
 * does not run yet, in `notYet`, are refused by name (`<field> <value> is not supported yet`); anything
 * else is refused as invalid, listing the values Firehose accepts.
 *
 * ## Example
 * ```ts
 * configEnum(config.CompressionFormat, 'ExtendedS3DestinationConfiguration.CompressionFormat',
 *   ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY']);
 * ```
 */
export function configEnum<T extends string>(value: unknown, field: string, supported: readonly T[], notYet: readonly string[] = []): T {
  if (value === undefined || value === null) return supported[0]!;
  if (typeof value === 'string' && (supported as readonly string[]).includes(value)) return value as T;
  if (typeof value === 'string' && notYet.includes(value)) {
    throw new InvalidConfigurationError(field, `${field} ${value} is not supported yet (supported: ${supported.join(', ')})`);
  }
  throw InvalidConfigurationError.invalid(field, value, `one of ${[...supported, ...notYet].join(', ')}`);
}
