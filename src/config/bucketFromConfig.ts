import { join } from 'node:path';
import type { Compression } from '../codecs/compression.js';
import type { Destination, ErrorOutput } from '../destinations/Destination.js';
import { directoryDestination } from '../destinations/directory/index.js';
import { s3Destination } from '../destinations/s3/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { bufferingFromHints, type Buffering } from './bufferingFromHints.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configLoggingOptions } from './configLoggingOptions.js';
import { configRoleArn } from './configRoleArn.js';
import { configString } from './configString.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import type { BufferingRanges } from './ranges.js';
import type { DataFormatConversion } from '../processing/parquet/DataFormatConversion.js';

/** A bucket, ready to write to: the destination (also an error output), its buffering and where it is. */
export interface BucketPlan {
  readonly destination: Destination & ErrorOutput;
  readonly buffering: Buffering;
  /** `s3://bucket/` or the local directory. */
  readonly location: string;
}

/** What the extended S3 configuration adds to a bucket's layout. */
export interface BucketExtras {
  readonly ranges: BufferingRanges;
  readonly dynamicPartitioning?: boolean | undefined;
  readonly fileExtension?: string | undefined;
  /** Record format conversion: objects are Parquet files. */
  readonly dataFormatConversion?: DataFormatConversion | undefined;
}

const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const COMPRESSIONS: readonly Compression[] = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];

/**
 * Maps the fields every S3 configuration shares (`BucketARN`, `Prefix`, `ErrorOutputPrefix`, `BufferingHints`,
 * `CompressionFormat`, `EncryptionConfiguration`, `RoleARN`, `CloudWatchLoggingOptions`) to a bucket
 * destination: S3 (`s3Destination`) when the environment has an S3 client or endpoint, else the directory
 * `<dataDir>/<bucket>/` (`directoryDestination`), with the same keys. The caller has checked which fields
 * may appear.
 *
 * ## Example
 * ```ts
 * bucketFromConfig(fields, 'ExtendedS3DestinationConfiguration', ctx, { ranges: S3_BUFFERING });
 * ```
 */
export function bucketFromConfig(
  fields: Readonly<Record<string, unknown>>,
  path: string,
  ctx: ConfigContext,
  extras: BucketExtras,
): BucketPlan {
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const arn = configString(fields.BucketARN, `${path}.BucketARN`, {
    minLength: 1,
    maxLength: 2048,
    pattern: BUCKET_ARN,
    description: 'an S3 bucket ARN, arn:aws:s3:::<bucket>',
  });
  if (arn === undefined) throw InvalidConfigurationError.invalid(`${path}.BucketARN`, undefined, 'an S3 bucket ARN, arn:aws:s3:::<bucket>');
  const bucket = BUCKET_ARN.exec(arn)![1]!;
  const prefix = configString(fields.Prefix, `${path}.Prefix`, { maxLength: 1024, description: 'a string of at most 1024 characters' });
  const errorOutputPrefix = configString(fields.ErrorOutputPrefix, `${path}.ErrorOutputPrefix`, {
    maxLength: 1024,
    description: 'a string of at most 1024 characters',
  });
  const compression = configEnum(fields.CompressionFormat, `${path}.CompressionFormat`, COMPRESSIONS);
  const buffering = bufferingFromHints(fields.BufferingHints, `${path}.BufferingHints`, extras.ranges);
  configLoggingOptions(fields.CloudWatchLoggingOptions, `${path}.CloudWatchLoggingOptions`);
  const kmsKeyArn = encryptionKey(fields.EncryptionConfiguration, `${path}.EncryptionConfiguration`);

  const client = ctx.clients.s3();
  if (client === undefined && kmsKeyArn !== undefined) {
    throw InvalidConfigurationError.unsupported(
      `${path}.EncryptionConfiguration.KMSEncryptionConfig`,
      'buckets are local directories here (give an S3 endpoint or client to write to S3 with SSE-KMS)',
    );
  }
  const layout = {
    streamName: ctx.streamName,
    ...(prefix === undefined ? {} : { prefix }),
    ...(errorOutputPrefix === undefined ? {} : { errorOutputPrefix }),
    compression,
    ...(extras.fileExtension === undefined ? {} : { fileExtension: extras.fileExtension }),
    ...(extras.dynamicPartitioning === true ? { dynamicPartitioning: true } : {}),
    ...(extras.dataFormatConversion === undefined ? {} : { dataFormatConversion: extras.dataFormatConversion }),
  };
  const fieldOf = {
    prefix: `${path}.Prefix`,
    errorOutputPrefix: `${path}.ErrorOutputPrefix`,
    compression: `${path}.CompressionFormat`,
    fileExtension: `${path}.FileExtension`,
    streamName: 'DeliveryStreamName',
    bucket: `${path}.BucketARN`,
  };
  if (client !== undefined) {
    const destination = asConfigurationError(
      () =>
        s3Destination<FirehoseRecord>({
          client,
          bucket,
          ...layout,
          ...(kmsKeyArn === undefined ? {} : { serverSideEncryption: 'aws:kms' as const, sseKmsKeyId: kmsKeyArn }),
        }),
      fieldOf,
    );
    return { destination, buffering, location: `s3://${bucket}/` };
  }
  const directory = join(ctx.dataDir, bucket);
  const destination = asConfigurationError(() => directoryDestination<FirehoseRecord>({ path: directory, ...layout }), fieldOf);
  return { destination, buffering, location: directory };
}

/** `NoEncryptionConfig: 'NoEncryption'` or `KMSEncryptionConfig: { AWSKMSKeyARN }`: the key ARN, if any. */
function encryptionKey(config: unknown, path: string): string | undefined {
  if (config === undefined || config === null) return undefined;
  const fields = checkFields(config, path, { supported: ['NoEncryptionConfig', 'KMSEncryptionConfig'] });
  if (fields.NoEncryptionConfig !== undefined && fields.KMSEncryptionConfig !== undefined) {
    throw InvalidConfigurationError.invalid(path, config, 'either NoEncryptionConfig or KMSEncryptionConfig, not both');
  }
  if (fields.NoEncryptionConfig !== undefined) configEnum(fields.NoEncryptionConfig, `${path}.NoEncryptionConfig`, ['NoEncryption']);
  if (fields.KMSEncryptionConfig === undefined) return undefined;
  const kms = checkFields(fields.KMSEncryptionConfig, `${path}.KMSEncryptionConfig`, {
    supported: ['AWSKMSKeyARN'],
    required: ['AWSKMSKeyARN'],
  });
  return configString(kms.AWSKMSKeyARN, `${path}.KMSEncryptionConfig.AWSKMSKeyARN`, {
    minLength: 1,
    maxLength: 512,
    pattern: /^arn:/,
    description: 'a KMS key ARN',
  });
}
