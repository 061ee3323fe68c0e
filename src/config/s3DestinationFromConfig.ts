import { bucketFromConfig, type BucketPlan } from './bucketFromConfig.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import type { BufferingRanges } from './ranges.js';

/** The fields of Firehose's `S3DestinationConfiguration`. */
export const S3_DESTINATION_FIELDS = [
  'RoleARN',
  'BucketARN',
  'Prefix',
  'ErrorOutputPrefix',
  'BufferingHints',
  'CompressionFormat',
  'EncryptionConfiguration',
  'CloudWatchLoggingOptions',
];

/**
 * Maps an `S3DestinationConfiguration` (the top-level S3 destination, a source record backup's
 * `S3BackupConfiguration`, or an HTTP endpoint's `S3Configuration`) to a bucket: S3 or `<dataDir>/<bucket>/`,
 * with its prefix, error output prefix, compression, encryption and buffering hints in `ranges`.
 *
 * ## Example
 * ```ts
 * const backup = s3DestinationFromConfig(config.S3BackupConfiguration, 'ExtendedS3DestinationConfiguration.S3BackupConfiguration', ctx, BACKUP_BUFFERING);
 * ```
 */
export function s3DestinationFromConfig(config: unknown, path: string, ctx: ConfigContext, ranges: BufferingRanges): BucketPlan {
  const fields = checkFields(config, path, { supported: S3_DESTINATION_FIELDS, required: ['BucketARN'] });
  return bucketFromConfig(fields, path, ctx, { ranges });
}
